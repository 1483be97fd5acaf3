//! What pages show, as plain data: each view is built from the store and the indexes in a
//! page's language, without HTTP, and rendered by a template of `templates/`.
//!
//! - [`entity`]: an entity's or a report's neighbourhood, and the page made of it.
//! - [`phrases`]: how each relationship reads as a sentence, and the sections they go in.
//! - [`legend`]: the claim statuses, with their names and definitions from the ontology.
//! - [`picture`]: the neighbourhood drawn as rows, so that no two labels overlap.
//! - [`pages`]: the templates, one per page kind, on one base layout.

pub mod entity;
pub mod legend;
pub mod pages;
pub mod path;
pub mod phrases;
pub mod picture;

use crate::vocab;

/// The languages pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Nl,
    It,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Nl, Lang::It];

    /// The language of a tag (`nl`, `nl-BE`, `IT`); `None` for a language pages are not
    /// written in.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Lang::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.code()))
    }

    /// The BCP 47 tag: `en`, `nl`, `it`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
            Lang::It => "it",
        }
    }

    /// The language's name in itself, for the language switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Nl => "Nederlands",
            Lang::It => "Italiano",
        }
    }

    /// Position in [`Lang::ALL`], the order of the phrase tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A label in `language`, else English, else any, else the IRI's last segment.
pub fn label_in(labels: Option<&Vec<(String, String)>>, language: Lang, iri: &str) -> String {
    labels
        .and_then(|labels| {
            [language.code(), "en"]
                .iter()
                .find_map(|wanted| labels.iter().find(|(l, _)| l == wanted))
                .or_else(|| labels.first())
                .map(|(_, text)| text.clone())
        })
        .unwrap_or_else(|| short(iri))
}

/// The last segment of an IRI (`…/id/nso-group` → `nso-group`), else the whole IRI.
pub fn short(iri: &str) -> String {
    match iri.trim_end_matches(['/', '#']).rsplit(['/', '#']).next() {
        Some(last) if !last.is_empty() => last.to_owned(),
        _ => iri.to_owned(),
    }
}

/// The page of an IRI of ours: `/id/{slug}`, `/report/{slug}`; `None` for other IRIs.
pub fn page_of(iri: &str) -> Option<String> {
    if let Some(slug) = iri.strip_prefix(vocab::ID_NAMESPACE) {
        return Some(format!("/id/{slug}"));
    }
    iri.strip_prefix(vocab::REPORT_NAMESPACE)
        .map(|slug| format!("/report/{slug}"))
}

/// Something a page names: a link to its page, a link out (web addresses only, so that no
/// `javascript:` IRI in the store becomes a link), or a name alone (a concept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub text: String,
    pub href: Option<String>,
    pub kind: NameKind,
}

/// Where a [`Named`] leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A page of spyatlas.
    Page,
    /// An address outside spyatlas.
    External,
    /// A concept of the ontology (a status, a role): no page of its own.
    Concept,
    /// An IRI that is neither ours nor a web address: shown, never linked.
    Address,
}

impl Named {
    /// `iri` named `text`: linked to its page, to the web, or not at all.
    pub fn of(iri: &str, text: String) -> Named {
        if let Some(href) = page_of(iri) {
            Named {
                text,
                href: Some(href),
                kind: NameKind::Page,
            }
        } else if iri.starts_with(vocab::ONTOLOGY_NAMESPACE) {
            Named {
                text,
                href: None,
                kind: NameKind::Concept,
            }
        } else {
            Named::external(iri, text)
        }
    }

    /// A link out to `address` showing `text`; the text alone when the address is not an
    /// `http(s)` web address.
    pub fn external(address: &str, text: String) -> Named {
        if crate::links::is_web_address(address) {
            Named {
                text,
                href: Some(address.to_owned()),
                kind: NameKind::External,
            }
        } else {
            Named {
                text,
                href: None,
                kind: NameKind::Address,
            }
        }
    }

    pub fn is_page(&self) -> bool {
        self.kind == NameKind::Page
    }

    pub fn is_external(&self) -> bool {
        self.kind == NameKind::External
    }

    pub fn is_concept(&self) -> bool {
        self.kind == NameKind::Concept
    }
}

/// Shortens `text` to at most `max` characters, with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_read_from_tags_and_others_are_not_ours() {
        assert_eq!(Lang::parse("nl-BE"), Some(Lang::Nl));
        assert_eq!(Lang::parse("IT"), Some(Lang::It));
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::parse(""), None);
    }

    #[test]
    fn only_web_addresses_become_links_out() {
        assert!(Named::external("https://example.org/a", "a".into()).is_external());
        let script = Named::external("javascript:alert(1)", "x".into());
        assert_eq!(script.href, None);
        assert!(Named::of("https://w3id.org/spyatlas/id/nso-group", "NSO".into()).is_page());
    }
}
