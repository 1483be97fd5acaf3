//! The audit trail: every write, and every write refused, as one line of JSON appended to a
//! file that is only ever appended to.
//!
//! A line says when, which request (its id, as the server's log gives it), which account
//! and role, what was asked (the action, the method and the route), and what came of it
//! (the HTTP status and an outcome); a report load or retraction also names the report and
//! the SHA-256 of its content (RDFC-1.0), one line per report:
//!
//! ```text
//! {"time":"2026-12-04T10:12:03.512Z","request":"5f0c9a1e00000007","account":"alice","role":"write","method":"POST","route":"/api/reports","status":201,"action":"report.load","outcome":"loaded","report":"pegasus-in-mexico","content_hash":"9b1d…"}
//! ```
//!
//! Handlers attach a [`Note`] to the answer of every write; the server's middleware writes
//! it with the facts of the request. The command line's writes (`load`, `import`, `unload`,
//! `backup`, `restore`) are recorded in the same log, with the command and the system user
//! who ran it instead of a request and an account:
//!
//! ```text
//! {"time":"2026-12-04T10:15:41.027Z","command":"unload","user":"maria","uid":1000,"action":"report.retract","outcome":"retracted","report":"pegasus-in-mexico","content_hash":"9b1d…"}
//! ```

use crate::accounts::Account;
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a write did, as its handler knows it; attached to the answer.
#[derive(Debug, Clone, Default)]
pub struct Note {
    /// Who asked (none: refused before the token was known).
    pub account: Option<Account>,
    /// What was asked: `report.load`, `report.retract`, `sparql.update`, `graph-store.put`,
    /// `graph-store.post`, `graph-store.delete`, `backup`, `restore`, `graph.load` (plain
    /// RDF loaded into a graph from the command line), or `refused` when the request was
    /// refused before its handler knew more.
    pub action: &'static str,
    /// The reports written (a load may hold several), each with its own outcome.
    pub reports: Vec<ReportNote>,
    /// The graph written, or the folder a backup went to.
    pub target: Option<String>,
}

/// What became of one report of a load or a retraction.
#[derive(Debug, Clone)]
pub struct ReportNote {
    pub slug: Option<String>,
    pub content_hash: Option<String>,
    /// `loaded`, `replaced`, `unchanged`, `retracted`, `failed`...
    pub outcome: &'static str,
}

impl ReportNote {
    /// What became of one report of a load.
    pub fn of(result: &crate::ingest::pipeline::ReportResult) -> Self {
        Self {
            slug: result.slug.clone(),
            content_hash: result.content_hash.clone(),
            outcome: result.outcome_name(),
        }
    }
}

/// The request a note is about.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub id: &'a str,
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
}

/// A command of the command line that wrote to the store.
#[derive(Debug, Clone, Copy)]
pub struct Command<'a> {
    /// The command's name: `load`, `import`, `unload`, `backup`, `restore`.
    pub name: &'a str,
    /// Whether it did what it was asked (for the outcome of a line without reports).
    pub succeeded: bool,
}

/// Who ran a command: the system user, by name when the environment gives one (`USER`,
/// `LOGNAME`) and by number where the system tells it.
#[derive(Debug, Clone, Default)]
struct SystemUser {
    name: Option<String>,
    uid: Option<u32>,
}

impl SystemUser {
    fn current() -> Self {
        let name = ["USER", "LOGNAME"]
            .iter()
            .find_map(|variable| std::env::var(variable).ok().filter(|name| !name.is_empty()));
        // The owner of /proc/self is the process's user.
        #[cfg(target_os = "linux")]
        let uid = std::fs::metadata("/proc/self")
            .ok()
            .map(|metadata| std::os::unix::fs::MetadataExt::uid(&metadata));
        #[cfg(not(target_os = "linux"))]
        let uid = None;
        Self { name, uid }
    }
}

/// One line of the log.
#[derive(Serialize)]
struct Line<'a> {
    time: &'a str,
    #[serde(flatten)]
    by: By<'a>,
    action: &'a str,
    outcome: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_hash: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
}

/// How a write was asked for: a request to the server, with its account (none when it was
/// refused before the token was known), or a command of the command line, with its user.
#[derive(Clone, Copy, Serialize)]
#[serde(untagged)]
enum By<'a> {
    Request {
        request: &'a str,
        account: Option<&'a str>,
        role: Option<&'a str>,
        method: &'a str,
        route: &'a str,
        status: u16,
    },
    Command {
        command: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        uid: Option<u32>,
    },
}

/// The audit log file (or none).
#[derive(Debug, Default)]
pub struct Audit {
    file: Option<(PathBuf, Mutex<File>)>,
}

impl Audit {
    /// Opens `path` for appending (made, readable by its owner only, when missing; its
    /// folder too).
    pub fn open(path: &Path) -> io::Result<Self> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)?;
        }
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        Ok(Self {
            file: Some((path.to_owned(), Mutex::new(file))),
        })
    }

    /// No log: nothing is recorded (tests, embedders).
    pub fn none() -> Self {
        Self::default()
    }

    /// Where the log is.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|(path, _)| path.as_path())
    }

    /// Appends the lines of `note` about `request`: one per report, or one.
    pub fn record(&self, note: &Note, request: Request<'_>) {
        let by = By::Request {
            request: request.id,
            account: note.account.as_ref().map(|account| account.name.as_str()),
            role: note.account.as_ref().map(|account| account.role.name()),
            method: request.method,
            route: request.route,
            status: request.status,
        };
        self.append(note, by, outcome_of(request.status));
    }

    /// Appends the lines of `note` about a command of the command line, run by the
    /// current system user: one per report, or one.
    pub fn record_command(&self, note: &Note, command: Command<'_>) {
        let user = SystemUser::current();
        let by = By::Command {
            command: command.name,
            user: user.name.as_deref(),
            uid: user.uid,
        };
        self.append(note, by, if command.succeeded { "done" } else { "failed" });
    }

    /// Appends the lines of `note` asked for `by`: one per report, or one with `outcome`.
    fn append<'a>(&self, note: &'a Note, by: By<'a>, outcome: &'a str) {
        let Some((path, file)) = &self.file else {
            return;
        };
        let time = timestamp();
        let line = |report: Option<&'a ReportNote>| Line {
            time: &time,
            by,
            action: note.action,
            outcome: report.map_or(outcome, |report| report.outcome),
            report: report.and_then(|report| report.slug.as_deref()),
            content_hash: report.and_then(|report| report.content_hash.as_deref()),
            target: note.target.as_deref(),
        };
        let mut text = String::new();
        if note.reports.is_empty() {
            push_line(&mut text, &line(None));
        } else {
            for report in &note.reports {
                push_line(&mut text, &line(Some(report)));
            }
        }
        // One write of whole lines, then to the disk: a line is in the log before the
        // answer leaves, and lines of requests answered at once never interleave.
        let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(error) = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
        {
            tracing::error!(%error, path = %path.display(), "cannot write the audit log");
        }
    }
}

fn push_line(text: &mut String, line: &Line<'_>) {
    text.push_str(&serde_json::to_string(line).expect("a line serialises"));
    text.push('\n');
}

/// The outcome of a request without reports, from its status.
fn outcome_of(status: u16) -> &'static str {
    match status {
        200..=299 => "done",
        401 | 403 => "refused",
        400..=499 => "rejected",
        _ => "failed",
    }
}

/// Now, in UTC to the millisecond (`2026-12-04T10:12:03.512Z`).
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = crate::ingest::report::date_time(now.as_secs());
    format!(
        "{}.{:03}Z",
        seconds.trim_end_matches('Z'),
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Role;

    #[test]
    fn each_report_is_a_line_of_json_appended() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("logs/audit.jsonl");
        let audit = Audit::open(&path).unwrap();
        let request = Request {
            id: "r1",
            method: "POST",
            route: "/api/reports",
            status: 201,
        };
        let note = Note {
            account: Some(Account {
                name: "alice".into(),
                role: Role::Write,
            }),
            action: "report.load",
            reports: vec![
                ReportNote {
                    slug: Some("one".into()),
                    content_hash: Some("abc".into()),
                    outcome: "loaded",
                },
                ReportNote {
                    slug: Some("two".into()),
                    content_hash: None,
                    outcome: "failed",
                },
            ],
            target: None,
        };
        audit.record(&note, request);
        drop(audit);
        // Opened again, the log is appended to, never truncated.
        Audit::open(&path).unwrap().record(
            &Note {
                action: "refused",
                ..Note::default()
            },
            Request {
                status: 401,
                ..request
            },
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["account"], "alice");
        assert_eq!(lines[0]["role"], "write");
        assert_eq!(lines[0]["report"], "one");
        assert_eq!(lines[0]["content_hash"], "abc");
        assert_eq!(lines[0]["outcome"], "loaded");
        assert_eq!(lines[1]["outcome"], "failed");
        assert_eq!(lines[2]["outcome"], "refused");
        assert!(lines[2]["account"].is_null());
        assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }
}
