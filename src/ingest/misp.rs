//! Importing a MISP galaxy of vendors (a cluster file of github.com/MISP/misp-galaxy, such
//! as `clusters/surveillance-vendor.json`) as one dataset report.
//!
//! The galaxy becomes a report document (JSON-LD with the spyatlas context) that the
//! loader reads like any other: validated, written whole or not at all, and, loaded again
//! in a newer version, a revision of the same report. The document says what the galaxy
//! says and nothing more: each entry is a `Vendor` with its name as label, its synonyms as
//! aliases and its UUID as `dct:identifier`, and one `Listing` claim (status `reported`)
//! that the MISP project lists it in the galaxy, with the entry's references as
//! `seeAlso`. Descriptions, products and relations between entries are left out: they are
//! the galaxy's prose and guesses, which no claim of ours could carry with a status.
//!
//! Entries are matched to the entities spyatlas already knows by name through the
//! [`EntityIndex`]: the entry's name first, then its synonyms; a match with exactly one
//! entity is that entity (the galaxy's names other than its label become aliases), and
//! anything else is a new vendor with a slug minted from its name.

use super::resolve::{EntityIndex, fold, mint_slug};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Entries a galaxy may hold (the surveillance-vendor galaxy has 615).
pub const MAX_ENTRIES: usize = 20_000;
/// Characters of a name or synonym.
pub const MAX_NAME_CHARS: usize = 300;
/// Synonyms or references of one entry.
pub const MAX_PER_ENTRY: usize = 200;
/// Bytes of a galaxy file.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// The organisation that keeps MISP galaxies, the publisher of every galaxy report.
const PUBLISHER_NAME: &str = "MISP Project";
const PUBLISHER_SLUG: &str = "misp-project";
/// Where the galaxies are published.
const REPOSITORY: &str = "https://github.com/MISP/misp-galaxy";

/// A galaxy made into a report document.
#[derive(Debug)]
pub struct GalaxyReport {
    /// The report's slug: `misp-galaxy-{type}`.
    pub slug: String,
    /// The report document, JSON-LD with the spyatlas context.
    pub document: String,
    /// Entries made into vendors.
    pub vendors: usize,
    /// Of them, those that are entities spyatlas knew already.
    pub merged: usize,
    /// What was left out, and why (a reference that is no web address, a synonym that is
    /// another entry's name), one line each.
    pub notes: Vec<String>,
}

/// Why a file cannot be read as a galaxy.
#[derive(Debug, thiserror::Error)]
pub enum GalaxyError {
    #[error("not a MISP galaxy cluster file: {0}")]
    Syntax(String),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Deserialize)]
struct Cluster {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    uuid: String,
    version: u64,
    #[serde(default)]
    description: String,
    values: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    value: String,
    uuid: String,
    #[serde(default)]
    meta: Meta,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    synonyms: Vec<String>,
    #[serde(default)]
    refs: Vec<String>,
}

/// Makes a galaxy cluster file into a report document, its entries matched against
/// `known` (the entities of the store the report is for).
pub fn galaxy_report(text: &str, known: &EntityIndex) -> Result<GalaxyReport, GalaxyError> {
    if text.len() > MAX_BYTES {
        return Err(GalaxyError::Invalid(format!(
            "the file has {} bytes; a galaxy may have at most {MAX_BYTES}",
            text.len()
        )));
    }
    crate::limits::check_json_nesting(text)
        .map_err(|error| GalaxyError::Syntax(error.to_string()))?;
    let cluster: Cluster =
        serde_json::from_str(text).map_err(|error| GalaxyError::Syntax(error.to_string()))?;
    check(&cluster)?;
    let kind = mint_slug(&cluster.kind).ok_or_else(|| {
        GalaxyError::Invalid(format!(
            "`type`: `{}` holds no letters or digits to name the report by",
            cluster.kind
        ))
    })?;
    let slug = format!("misp-galaxy-{kind}");

    // Every entry's own name, folded: a synonym of one entry that is another's name is
    // that other entry (Circles, a synonym of NSO Group, is an entry of its own).
    let names: HashSet<String> = cluster.values.iter().map(|e| fold(&e.value)).collect();
    let mut notes = Vec::new();
    let mut taken: HashMap<String, String> = HashMap::new();
    let mut entities = Vec::new();
    let mut claims = Vec::new();
    let mut merged = 0;
    let (publisher, publisher_label) = match known.by_name(PUBLISHER_NAME).as_slice() {
        [one] => (
            one.clone(),
            known
                .label_in(one, "en")
                .unwrap_or(PUBLISHER_NAME)
                .to_owned(),
        ),
        _ => (PUBLISHER_SLUG.to_owned(), PUBLISHER_NAME.to_owned()),
    };
    for entry in &cluster.values {
        let value = entry.value.trim();
        let synonyms: Vec<&str> = entry
            .meta
            .synonyms
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && fold(s) != fold(value))
            .filter(|s| {
                let other = names.contains(&fold(s));
                if other {
                    notes.push(format!(
                        "{value}: synonym `{s}` left out, it is the name of another entry"
                    ));
                }
                !other
            })
            .collect();
        let matched = one_match(known, std::iter::once(value))
            .or_else(|| one_match(known, synonyms.iter().copied()));
        let (id, label) = match &matched {
            Some(slug) => {
                merged += 1;
                let label = known.label_in(slug, "en").unwrap_or(value).to_owned();
                (slug.clone(), label)
            }
            None => (
                new_slug(value, known, &taken, &entry.uuid)?,
                value.to_owned(),
            ),
        };
        if let Some(other) = taken.insert(id.clone(), value.to_owned()) {
            notes.push(format!(
                "{value}: the same entity as the entry `{other}` (both name `{id}`)"
            ));
        }
        // The galaxy's names other than the label; for a new vendor, none that names an
        // entity already known (its slug would clash with that entity's).
        let mut aliases: BTreeSet<&str> = BTreeSet::new();
        for name in std::iter::once(value).chain(synonyms.iter().copied()) {
            if fold(name) == fold(&label) {
                continue;
            }
            if matched.is_none() && !known.by_name(name).is_empty() {
                notes.push(format!(
                    "{value}: synonym `{name}` left out, it names another known entity"
                ));
                continue;
            }
            aliases.insert(name);
        }
        let mut entity = Map::new();
        entity.insert("id".into(), json!(id));
        entity.insert("type".into(), json!("Vendor"));
        entity.insert("label".into(), json!({ "en": label }));
        if !aliases.is_empty() {
            entity.insert("aliases".into(), json!({ "en": aliases }));
        }
        entity.insert("dct:identifier".into(), json!(entry.uuid));
        entities.push(Value::Object(entity));

        let mut references = Vec::new();
        for reference in &entry.meta.refs {
            let reference = reference.trim();
            if is_web_address(reference) {
                references.push(reference.to_owned());
            } else {
                notes.push(format!(
                    "{value}: reference `{reference}` left out, it is not an http(s) address"
                ));
            }
        }
        let mut claim = Map::new();
        claim.insert("id".into(), json!(format!("{slug}-lists-{id}")));
        claim.insert("type".into(), json!("Listing"));
        claim.insert(
            "label".into(),
            json!({ "en": format!("{label} in the MISP galaxy {}", cluster.name) }),
        );
        claim.insert("listingBody".into(), json!(publisher));
        claim.insert("listed".into(), json!(id));
        claim.insert(
            "listName".into(),
            json!({ "en": format!("MISP galaxy: {}", cluster.name) }),
        );
        claim.insert("status".into(), json!("reported"));
        if !references.is_empty() {
            claim.insert("seeAlso".into(), json!(references));
        }
        claims.push(Value::Object(claim));
    }
    // The publisher is described in every version, so that each holds on its own (a new
    // version replaces the graph that described it before).
    entities.insert(
        0,
        json!({
            "id": publisher,
            "type": "Organization",
            "label": { "en": publisher_label },
        }),
    );
    let mut description = cluster.description.trim().to_owned();
    if !description.is_empty() && !description.ends_with('.') {
        description.push('.');
    }
    let document = json!({
        "@context": crate::vocab::CONTEXT_IRI,
        "id": format!("report:{slug}"),
        "kind": "dataset",
        "label": { "en": format!("MISP galaxy: {} (version {})", cluster.name, cluster.version) },
        "title": { "en": cluster.name },
        "description": { "en": format!("{description} Version {} of the galaxy, {} entries.", cluster.version, cluster.values.len()).trim() },
        "publisher": publisher,
        "url": format!("{REPOSITORY}/blob/main/clusters/{}.json", cluster.kind),
        "dct:identifier": cluster.uuid,
        "schema:version": cluster.version.to_string(),
        "entities": entities,
        "claims": claims,
    });
    Ok(GalaxyReport {
        slug,
        document: serde_json::to_string_pretty(&document).expect("JSON values serialise"),
        vendors: cluster.values.len(),
        merged,
        notes,
    })
}

/// The bounds of a galaxy, each broken one named with the entry that breaks it.
fn check(cluster: &Cluster) -> Result<(), GalaxyError> {
    let invalid = |message: String| Err(GalaxyError::Invalid(message));
    if cluster.values.is_empty() {
        return invalid("`values`: the galaxy has no entries".into());
    }
    if cluster.values.len() > MAX_ENTRIES {
        return invalid(format!(
            "`values`: {} entries; a galaxy may have at most {MAX_ENTRIES}",
            cluster.values.len()
        ));
    }
    if cluster.name.trim().is_empty() || cluster.name.chars().count() > MAX_NAME_CHARS {
        return invalid(format!(
            "`name`: the galaxy needs a name of 1 to {MAX_NAME_CHARS} characters"
        ));
    }
    let mut uuids = HashSet::new();
    for (number, entry) in cluster.values.iter().enumerate() {
        let at = format!("`values[{number}]` ({})", entry.value.trim());
        if entry.value.trim().is_empty() || entry.value.chars().count() > MAX_NAME_CHARS {
            return invalid(format!(
                "{at}: `value` must be a name of 1 to {MAX_NAME_CHARS} characters"
            ));
        }
        if !is_uuid(&entry.uuid) {
            return invalid(format!(
                "{at}: `uuid` `{}` is not a UUID (8-4-4-4-12 hexadecimal digits)",
                entry.uuid
            ));
        }
        if !uuids.insert(entry.uuid.to_ascii_lowercase()) {
            return invalid(format!(
                "{at}: `uuid` {} is also the UUID of an earlier entry",
                entry.uuid
            ));
        }
        if entry.meta.synonyms.len() > MAX_PER_ENTRY || entry.meta.refs.len() > MAX_PER_ENTRY {
            return invalid(format!(
                "{at}: at most {MAX_PER_ENTRY} synonyms and {MAX_PER_ENTRY} references an entry"
            ));
        }
        if let Some(long) = entry
            .meta
            .synonyms
            .iter()
            .find(|s| s.chars().count() > MAX_NAME_CHARS)
        {
            return invalid(format!(
                "{at}: synonym `{}…` is longer than {MAX_NAME_CHARS} characters",
                long.chars().take(40).collect::<String>()
            ));
        }
    }
    Ok(())
}

/// The one entity known by any of `names`, if exactly one is.
fn one_match<'a>(known: &EntityIndex, names: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut found = BTreeSet::new();
    for name in names {
        found.extend(known.by_name(name));
    }
    (found.len() == 1).then(|| found.pop_first().expect("one"))
}

/// The slug of a new vendor: minted from its name, or from its UUID when the name has no
/// Latin letters or digits; an entity of that slug already known (under other names), or
/// another entry's, makes it `{slug}-{first block of the UUID}`.
fn new_slug(
    value: &str,
    known: &EntityIndex,
    taken: &HashMap<String, String>,
    uuid: &str,
) -> Result<String, GalaxyError> {
    let short = uuid.split('-').next().unwrap_or(uuid).to_ascii_lowercase();
    let slug = mint_slug(value).unwrap_or_else(|| format!("misp-{short}"));
    if known.contains(&slug) || taken.contains_key(&slug) {
        return Ok(format!("{slug}-{short}"));
    }
    Ok(slug)
}

fn is_uuid(text: &str) -> bool {
    let blocks: Vec<&str> = text.split('-').collect();
    blocks.iter().map(|b| b.len()).eq([8, 4, 4, 4, 12])
        && blocks
            .iter()
            .all(|b| b.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Whether `text` is an `http(s)` address an IRI can hold (no spaces, quotes or angle
/// brackets).
fn is_web_address(text: &str) -> bool {
    (text.starts_with("https://") || text.starts_with("http://"))
        && oxigraph::model::NamedNode::new(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn galaxy(values: Value) -> String {
        json!({
            "name": "Surveillance Vendor", "type": "surveillance-vendor",
            "uuid": "c3631f86-14f1-11ea-88b0-d37ade2e3f89", "version": 11,
            "description": "Vendors.", "values": values,
        })
        .to_string()
    }

    #[test]
    fn a_synonym_naming_another_entry_stays_with_that_entry() {
        let text = galaxy(json!([
            {"value": "NSO group", "uuid": "49d8e89f-401d-4d3d-9155-5758a346a4a1",
             "meta": {"synonyms": ["Q-Cyber", "Circles"], "refs": [" https://example.org/a ", "not a link"]}},
            {"value": "Circles", "uuid": "59d8e89f-401d-4d3d-9155-5758a346a4a1"},
        ]));
        let report = galaxy_report(&text, &EntityIndex::default()).unwrap();
        assert_eq!(report.slug, "misp-galaxy-surveillance-vendor");
        let document: Value = serde_json::from_str(&report.document).unwrap();
        let nso = &document["entities"][1];
        assert_eq!(nso["id"], "nso-group");
        assert_eq!(nso["aliases"]["en"], json!(["Q-Cyber"]));
        assert_eq!(document["entities"][2]["id"], "circles");
        assert_eq!(
            document["claims"][0]["seeAlso"],
            json!(["https://example.org/a"])
        );
        assert_eq!(report.notes.len(), 2, "{:?}", report.notes);
    }

    #[test]
    fn bad_galaxies_are_refused_naming_the_entry() {
        for (values, expected) in [
            (json!([]), "no entries"),
            (
                json!([{"value": "", "uuid": "49d8e89f-401d-4d3d-9155-5758a346a4a1"}]),
                "values[0]",
            ),
            (json!([{"value": "A", "uuid": "nope"}]), "not a UUID"),
            (
                json!([{"value": "A", "uuid": "49d8e89f-401d-4d3d-9155-5758a346a4a1"},
                       {"value": "B", "uuid": "49D8E89F-401d-4d3d-9155-5758a346a4a1"}]),
                "values[1]` (B): `uuid`",
            ),
        ] {
            let error = galaxy_report(&galaxy(values), &EntityIndex::default()).unwrap_err();
            assert!(error.to_string().contains(expected), "{error}");
        }
        let error = galaxy_report("{\"values\": 3}", &EntityIndex::default()).unwrap_err();
        assert!(
            error.to_string().starts_with("not a MISP galaxy"),
            "{error}"
        );
    }
}
