//! STIX 2.1 bundles (OASIS CTI, <https://docs.oasis-open.org/cti/stix/v2.1/>).
//!
//! Entities become the STIX objects the alignments (`ontology/alignments.ttl`,
//! `sa:stixType`) name for their classes: a vendor a `threat-actor`, a product `malware`,
//! a person, government, agency or organisation an `identity` (a government or agency an
//! incident is attributed to a `threat-actor` of type `nation-state`), an incident or
//! campaign a `campaign`, a vulnerability a `vulnerability`, a platform a `software`
//! object, an indicator an `indicator`. Countries are left out (a STIX location needs an
//! ISO country code, which spyatlas does not hold), as are claim nodes the alignments make
//! relationships, sightings or notes (a targeting, a listing): the relationships beside
//! them carry their statuses. Relationship types are the properties'
//! `sa:stixRelationshipType`, else `related-to`.
//!
//! Each relationship becomes one STIX `relationship` per report asserting it, with
//! `confidence` from the status that report gives its claim (below), the status and
//! report in its `description`, and the report in `external_references`. Each report
//! becomes a `report` whose `object_refs` are everything it asserts. Ids are UUIDv5 of our
//! IRIs (the relationship's of its four parts), so that an export made again, or by
//! another server, names the same objects alike.

use super::{Edge, Extract, Node, Source};
use crate::vocab;
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, BTreeSet};

/// `confidence` (0–100, STIX's own scale) for each claim status: how established the
/// report presents the claim. `unknown` says nothing is known, and gives no relationship.
pub const CONFIDENCE: &[(&str, u8)] = &[
    ("confirmed", 95),
    ("attributed", 80),
    ("reported", 60),
    ("suspected", 40),
    ("alleged", 25),
    ("denied", 5),
];

/// The namespace of spyatlas's UUIDv5 ids: the UUIDv5 of its IRI namespace in the URL
/// namespace of RFC 9562.
fn namespace() -> [u8; 16] {
    const URL: [u8; 16] = [
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
        0xc8,
    ];
    uuid5(&URL, vocab::NAMESPACE)
}

fn uuid5(namespace: &[u8; 16], name: &str) -> [u8; 16] {
    let mut hasher = Sha1::new();
    hasher.update(namespace);
    hasher.update(name.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    bytes
}

/// `{type}--{UUIDv5 of name}`.
pub fn stix_id(kind: &str, name: &str) -> String {
    let b = uuid5(&namespace(), name);
    format!(
        "{kind}--{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[0],
        b[1],
        b[2],
        b[3],
        b[4],
        b[5],
        b[6],
        b[7],
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}

/// A STIX timestamp, to the millisecond as `created` and `modified` must be, for a date
/// as precise as written: its first instant (`2025-02` → `2025-02-01T00:00:00.000Z`), or
/// a UTC moment; `None` for anything else.
fn timestamp(date: &str) -> Option<String> {
    let date = date.trim();
    let digits = |text: &str| !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    let parts: Vec<&str> = date.splitn(3, '-').collect();
    match parts.as_slice() {
        [year] if year.len() == 4 && digits(year) => Some(format!("{year}-01-01T00:00:00.000Z")),
        [year, month] if year.len() == 4 && digits(year) && month.len() == 2 && digits(month) => {
            Some(format!("{year}-{month}-01T00:00:00.000Z"))
        }
        [year, month, rest] if year.len() == 4 && month.len() == 2 => {
            let day = rest.get(..2)?;
            let time = rest.get(2..).unwrap_or("");
            if !digits(day) {
                return None;
            }
            if time.is_empty() {
                return Some(format!("{year}-{month}-{day}T00:00:00.000Z"));
            }
            // A dateTime: kept when it is in UTC already.
            let time = time.strip_prefix('T')?;
            let time = time
                .strip_suffix('Z')
                .or_else(|| time.strip_suffix("+00:00"))?;
            let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
            if clock.len() != 8 {
                return None;
            }
            if !digits(&clock.replace(':', "")) || !fraction.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let milliseconds: String = fraction.chars().chain("000".chars()).take(3).collect();
            Some(format!("{year}-{month}-{day}T{clock}.{milliseconds}Z"))
        }
        _ => None,
    }
}

/// When an export made at no particular time says its objects were made: the Unix epoch
/// is never right, so a report's load time is used where there is one.
const FALLBACK_TIME: &str = "2025-01-01T00:00:00.000Z";

/// The STIX objects an entity may become, the first of its classes' first.
const OBJECTS: &[&str] = &[
    "indicator",
    "malware",
    "vulnerability",
    "campaign",
    "software",
    "threat-actor",
    "identity",
];

/// What an entity becomes: its STIX type, and the properties beyond the common ones.
fn object_of(
    node: &Node,
    types: &BTreeMap<String, String>,
    operators: &BTreeSet<&str>,
) -> Option<(&'static str, Map<String, Value>)> {
    let named: BTreeSet<&str> = node
        .kinds
        .iter()
        .filter_map(|kind| types.get(kind).map(String::as_str))
        .collect();
    let mut kind = *OBJECTS.iter().find(|kind| named.contains(**kind))?;
    let mut properties = Map::new();
    let operator =
        (node.is("Government") || node.is("Agency")) && operators.contains(node.iri.as_str());
    if operator {
        kind = "threat-actor";
        properties.insert("threat_actor_types".into(), json!(["nation-state"]));
    }
    match kind {
        "indicator" => {
            let published = node.values.get("pattern")?;
            let pattern = stix_pattern(published);
            let description = if pattern == *published {
                format!("Indicator of compromise: {}.", node.label)
            } else {
                format!(
                    "Indicator of compromise: {}. The pattern as published: {published} (object types and properties that STIX does not define are written as custom ones, x-...)",
                    node.label
                )
            };
            properties.insert("description".into(), json!(description));
            properties.insert("pattern".into(), json!(pattern));
            properties.insert(
                "pattern_type".into(),
                json!(
                    node.values
                        .get("patternType")
                        .map_or("stix", String::as_str)
                ),
            );
            let valid_from = node
                .values
                .get("validFrom")
                .and_then(|date| timestamp(date))
                .unwrap_or_else(|| FALLBACK_TIME.to_owned());
            properties.insert("valid_from".into(), json!(valid_from));
            properties.insert("indicator_types".into(), json!(["malicious-activity"]));
        }
        "malware" => {
            properties.insert("is_family".into(), json!(false));
        }
        "vulnerability" => {
            if let Some(cve) = node.values.get("cveId") {
                properties.insert(
                    "external_references".into(),
                    json!([{ "source_name": "cve", "external_id": cve }]),
                );
            }
        }
        "identity" => {
            let class = if node.is("Person") {
                "individual"
            } else {
                "organization"
            };
            properties.insert("identity_class".into(), json!(class));
        }
        _ => {}
    }
    Some((kind, properties))
}

/// The object types of STIX 2.1's cyber-observables, which a pattern may name as they are.
const OBSERVABLES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// A STIX pattern whose object types STIX does not define (`[app:id = '…']`, as some
/// publishers write) are custom types, as STIX requires, and so are their properties
/// shorter than the three characters STIX asks of a property name
/// (`[x-app:x_id = '…']`); quoted values are left as they are.
fn stix_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut quoted = false;
    let mut escaped = false;
    let mut word_start: Option<usize> = None;
    // Where the property of a custom object type starts, while it is being read.
    let mut property_start: Option<usize> = None;
    for (at, c) in pattern.char_indices() {
        if quoted {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '\'' {
                quoted = false;
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            if word_start.is_none() && property_start.is_none() {
                let before = pattern[..at].chars().next_back();
                if before.is_none_or(|b| b == '[' || b == '(' || b.is_whitespace()) {
                    word_start = Some(out.len());
                }
            }
            out.push(c);
            continue;
        }
        if let Some(start) = property_start.take()
            && out.len() - start < 3
        {
            out.insert_str(start, "x_");
        }
        if c == ':'
            && let Some(start) = word_start
        {
            let kind = &out[start..];
            if !kind.starts_with("x-") && !OBSERVABLES.contains(&kind) {
                out.insert_str(start, "x-");
                property_start = Some(out.len() + 1);
            }
        }
        word_start = None;
        if c == '\'' {
            quoted = true;
        }
        out.push(c);
    }
    out
}

/// The bundle of `extract`, as JSON.
pub fn bundle(extract: &Extract) -> Vec<u8> {
    // Governments and agencies an incident is attributed to: the operators.
    let operators: BTreeSet<&str> = extract
        .edges
        .iter()
        .filter(|edge| edge.property_name() == "attributedTo")
        .map(|edge| edge.object.as_str())
        .collect();
    // The earliest load time of the reports naming each node: its `created`.
    let mut first_seen: BTreeMap<&str, String> = BTreeMap::new();
    for edge in &extract.edges {
        let time = source_time(&extract.sources[&edge.source]);
        for end in [edge.subject.as_str(), edge.object.as_str()] {
            let entry = first_seen.entry(end).or_insert_with(|| time.clone());
            if time < *entry {
                *entry = time.clone();
            }
        }
    }
    let mut objects: Vec<Value> = Vec::new();
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    for node in extract.nodes.values() {
        let Some((kind, mut properties)) = object_of(node, &extract.stix_types, &operators) else {
            continue;
        };
        let id = stix_id(kind, &node.iri);
        properties.insert("type".into(), json!(kind));
        properties.insert("id".into(), json!(id));
        if kind == "software" {
            properties.insert("spec_version".into(), json!("2.1"));
            properties.insert("name".into(), json!(node.label));
        } else {
            let time = first_seen
                .get(node.iri.as_str())
                .cloned()
                .unwrap_or_else(|| FALLBACK_TIME.to_owned());
            properties.insert("spec_version".into(), json!("2.1"));
            properties.insert("created".into(), json!(time));
            properties.insert("modified".into(), json!(time));
            properties.insert("name".into(), json!(node.label));
            let mut references = properties
                .remove("external_references")
                .and_then(|value| value.as_array().cloned())
                .unwrap_or_default();
            references.push(json!({ "source_name": "spyatlas", "url": node.iri }));
            properties.insert("external_references".into(), Value::Array(references));
        }
        ids.insert(node.iri.as_str(), id);
        objects.push(Value::Object(properties));
    }
    // Per report: what it asserts, for its object_refs.
    let mut asserted_by: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for edge in &extract.edges {
        let (Some(source_ref), Some(target_ref)) = (
            ids.get(edge.subject.as_str()),
            ids.get(edge.object.as_str()),
        ) else {
            continue;
        };
        let source = &extract.sources[&edge.source];
        let statuses = edge.statuses();
        if statuses.contains(&"unknown") && statuses.len() == 1 {
            continue;
        }
        let id = stix_id(
            "relationship",
            &format!(
                "{} {} {} {}",
                edge.subject, edge.property, edge.object, edge.source
            ),
        );
        let time = source_time(source);
        let mut relationship = Map::new();
        relationship.insert("type".into(), json!("relationship"));
        relationship.insert("spec_version".into(), json!("2.1"));
        relationship.insert("id".into(), json!(id));
        relationship.insert("created".into(), json!(time));
        relationship.insert("modified".into(), json!(time));
        relationship.insert(
            "relationship_type".into(),
            json!(
                extract
                    .stix_relationships
                    .get(edge.property_name())
                    .map_or("related-to", String::as_str)
            ),
        );
        relationship.insert("source_ref".into(), json!(source_ref));
        relationship.insert("target_ref".into(), json!(target_ref));
        relationship.insert("description".into(), json!(describe(edge, source, extract)));
        if let Some(confidence) = confidence(&statuses) {
            relationship.insert("confidence".into(), json!(confidence));
        }
        let mut reference = Map::new();
        reference.insert("source_name".into(), json!(source.label));
        reference.insert(
            "url".into(),
            json!(source.url.clone().unwrap_or_else(|| source.iri.clone())),
        );
        reference.insert(
            "description".into(),
            json!(format!(
                "status: {}",
                if statuses.is_empty() {
                    "none given".to_owned()
                } else {
                    statuses.join(", ")
                }
            )),
        );
        relationship.insert("external_references".into(), json!([reference]));
        objects.push(Value::Object(relationship));
        let refs = asserted_by.entry(edge.source.as_str()).or_default();
        refs.insert(id);
        refs.insert(source_ref.clone());
        refs.insert(target_ref.clone());
    }
    for (iri, source) in &extract.sources {
        let Some(refs) = asserted_by.get(iri.as_str()) else {
            continue;
        };
        if !iri.starts_with(vocab::REPORT_NAMESPACE) {
            continue;
        }
        let time = source_time(source);
        let published = source
            .issued
            .as_deref()
            .and_then(timestamp)
            .unwrap_or_else(|| time.clone());
        let mut references = vec![json!({ "source_name": "spyatlas", "url": source.iri })];
        if let Some(url) = &source.url {
            references.push(json!({
                "source_name": source.publisher.clone().unwrap_or_else(|| source.label.clone()),
                "url": url,
            }));
        }
        let mut report = json!({
            "type": "report",
            "spec_version": "2.1",
            "id": stix_id("report", iri),
            "created": time,
            "modified": time,
            "name": source.label,
            "published": published,
            "report_types": [if source.kinds.contains("TechnicalReport") { "threat-report" } else { "threat-actor" }],
            "object_refs": refs,
            "external_references": references,
        });
        if let Some(publisher) = &source.publisher {
            report["description"] = json!(format!("Published by {publisher}."));
        }
        objects.push(report);
    }
    let bundle = json!({
        "type": "bundle",
        "id": stix_id("bundle", &objects.iter().filter_map(|o| o["id"].as_str()).collect::<Vec<_>>().join(" ")),
        "objects": objects,
    });
    serde_json::to_vec_pretty(&bundle).expect("JSON values serialise")
}

/// The time of a report's objects: when it was loaded, as a STIX timestamp.
fn source_time(source: &Source) -> String {
    source
        .loaded_at
        .as_deref()
        .and_then(timestamp)
        .unwrap_or_else(|| FALLBACK_TIME.to_owned())
}

/// The lowest confidence of the statuses a report gives (a report giving two claims two
/// statuses is as sure as the weaker); none for no status.
fn confidence(statuses: &[&str]) -> Option<u8> {
    statuses
        .iter()
        .filter_map(|status| CONFIDENCE.iter().find(|(name, _)| name == status))
        .map(|(_, confidence)| *confidence)
        .min()
}

/// "Paragon Solutions usedProduct … (attributed, according to …)".
fn describe(edge: &Edge, source: &Source, extract: &Extract) -> String {
    let label = |iri: &str| {
        extract
            .nodes
            .get(iri)
            .map_or_else(|| iri.to_owned(), |node| node.label.clone())
    };
    let statuses = edge.statuses();
    let status = if statuses.is_empty() {
        "no status given".to_owned()
    } else {
        statuses.join(", ")
    };
    format!(
        "{} {} {}: {status}, according to {}",
        label(&edge.subject),
        edge.property_name(),
        label(&edge.object),
        source.label
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid5_of_the_iri() {
        // RFC 9562's example: UUIDv5 of "www.example.com" in the DNS namespace.
        const DNS: [u8; 16] = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4,
            0x30, 0xc8,
        ];
        let b = uuid5(&DNS, "www.example.com");
        assert_eq!(
            b,
            [
                0x2e, 0xd6, 0x65, 0x7d, 0xe9, 0x27, 0x56, 0x8b, 0x95, 0xe1, 0x26, 0x65, 0xa8, 0xae,
                0xa6, 0xa2
            ]
        );
        let id = stix_id("malware", "https://w3id.org/spyatlas/id/pegasus");
        assert!(id.starts_with("malware--") && id.len() == "malware--".len() + 36);
        assert_eq!(
            id,
            stix_id("malware", "https://w3id.org/spyatlas/id/pegasus")
        );
    }

    #[test]
    fn patterns_name_undefined_object_types_as_custom_ones() {
        assert_eq!(
            stix_pattern("[domain-name:value='example.com']"),
            "[domain-name:value='example.com']"
        );
        assert_eq!(
            stix_pattern("[app:id='com.gu.activity']"),
            "[x-app:x_id='com.gu.activity']"
        );
        assert_eq!(
            stix_pattern("[url:value = 'http://a:b/'] AND [app:name = 'it''s:x']"),
            "[url:value = 'http://a:b/'] AND [x-app:name = 'it''s:x']"
        );
        assert_eq!(stix_pattern("[x-app:x_id='a']"), "[x-app:x_id='a']");
    }

    #[test]
    fn dates_become_their_first_instant() {
        assert_eq!(
            timestamp("2025").as_deref(),
            Some("2025-01-01T00:00:00.000Z")
        );
        assert_eq!(
            timestamp("2025-02").as_deref(),
            Some("2025-02-01T00:00:00.000Z")
        );
        assert_eq!(
            timestamp("2025-02-13").as_deref(),
            Some("2025-02-13T00:00:00.000Z")
        );
        assert_eq!(
            timestamp("2024-01-26T21:28:21.013288Z").as_deref(),
            Some("2024-01-26T21:28:21.013Z")
        );
        assert_eq!(
            timestamp("2026-12-03T22:07:55Z").as_deref(),
            Some("2026-12-03T22:07:55.000Z")
        );
        assert_eq!(timestamp("2024-01-26T21:28:21+02:00"), None);
        assert_eq!(timestamp("soon"), None);
    }
}
