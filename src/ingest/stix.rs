//! Importing STIX 2.1 bundles of indicators of compromise, such as those Amnesty
//! International's Security Lab publishes with its investigations
//! (github.com/AmnestyTech/investigations), each bundle as one dataset report.
//!
//! A bundle's `malware` objects become products, linked by name to a product spyatlas
//! already knows (Pegasus, Predator...), else new; each `indicator` that an `indicates`
//! relationship ties to one of them becomes an `Indicator` claim of that product with its
//! pattern, pattern language and validity, and the status `attributed` (the publisher
//! attributes the observable to the product on its own forensic evidence). Nothing else of
//! the bundle is read. The report credits its publisher and licence, and is named after
//! the file, so that importing the same bundle again changes nothing and a new version of
//! it is a revision of the same report.

use super::resolve::{EntityIndex, mint_slug};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

/// Bytes of a bundle.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Objects of a bundle.
pub const MAX_OBJECTS: usize = 200_000;
/// Characters of a pattern.
pub const MAX_PATTERN_CHARS: usize = 4096;

/// Who published a family of bundles, credited on each report made from one.
pub struct Publisher {
    pub slug: &'static str,
    pub name: &'static str,
    /// Where the bundles are published.
    pub url: &'static str,
    /// Their licence and the credit it asks for.
    pub rights: &'static str,
}

/// Amnesty International's investigations (CC BY 2.0: credit Amnesty International and
/// link the source).
pub const AMNESTY: Publisher = Publisher {
    slug: "amnesty-international",
    name: "Amnesty International",
    url: "https://github.com/AmnestyTech/investigations",
    rights: "Indicators of compromise by Amnesty International (https://github.com/AmnestyTech/investigations), licensed under CC BY 2.0 (https://creativecommons.org/licenses/by/2.0/).",
};

/// A bundle made into a report document.
#[derive(Debug)]
pub struct BundleReport {
    pub slug: String,
    /// The report document, JSON-LD with the spyatlas context.
    pub document: String,
    /// Products named, and how many of them spyatlas knew already.
    pub products: usize,
    pub known_products: usize,
    pub indicators: usize,
    /// What was left out, and why, one line each.
    pub notes: Vec<String>,
}

/// Why a file cannot be read as a bundle.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not a STIX 2.1 bundle: {0}")]
    Syntax(String),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Deserialize)]
struct Bundle {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    objects: Vec<Value>,
}

/// Makes the bundle `text` (the file `name`, without its folder) into a report of
/// `publisher`, its products matched against `known`; `is_product` says whether a known
/// entity is a product.
pub fn bundle_report(
    text: &str,
    name: &str,
    publisher: &Publisher,
    known: &EntityIndex,
    is_product: impl Fn(&str) -> bool,
) -> Result<BundleReport, BundleError> {
    if text.len() > MAX_BYTES {
        return Err(BundleError::Invalid(format!(
            "the file has {} bytes; a bundle may have at most {MAX_BYTES}",
            text.len()
        )));
    }
    crate::limits::check_json_nesting(text)
        .map_err(|error| BundleError::Syntax(error.to_string()))?;
    let bundle: Bundle =
        serde_json::from_str(text).map_err(|error| BundleError::Syntax(error.to_string()))?;
    if bundle.kind != "bundle" || !bundle.id.starts_with("bundle--") {
        return Err(BundleError::Syntax(
            "the top object needs \"type\": \"bundle\" and an id `bundle--UUID`".into(),
        ));
    }
    if bundle.objects.len() > MAX_OBJECTS {
        return Err(BundleError::Invalid(format!(
            "`objects`: {} objects; a bundle may have at most {MAX_OBJECTS}",
            bundle.objects.len()
        )));
    }
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let file_slug = mint_slug(stem).ok_or_else(|| {
        BundleError::Invalid(format!(
            "the file name `{name}` holds no letters or digits to name the report by"
        ))
    })?;
    let slug = format!("{}-{file_slug}", publisher.slug);
    let mut notes = Vec::new();
    let text_of =
        |object: &Value, key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);

    // Malware id → the product's slug and name.
    let mut products: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut entities = Vec::new();
    let mut known_products = 0;
    for (number, object) in bundle.objects.iter().enumerate() {
        if text_of(object, "type").as_deref() != Some("malware") {
            continue;
        }
        let at = format!("`objects[{number}]`");
        let (Some(id), Some(name)) = (text_of(object, "id"), text_of(object, "name")) else {
            return Err(BundleError::Invalid(format!(
                "{at}: a malware object needs an `id` and a `name`"
            )));
        };
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 300 {
            return Err(BundleError::Invalid(format!(
                "{at}: the malware's `name` must have 1 to 300 characters"
            )));
        }
        let candidates: Vec<String> = known
            .by_name(&name)
            .into_iter()
            .filter(|slug| is_product(slug))
            .collect();
        let (product, label) = match candidates.as_slice() {
            [one] => {
                known_products += 1;
                let label = known.label_in(one, "en").unwrap_or(&name).to_owned();
                (one.clone(), label)
            }
            _ => {
                let minted = mint_slug(&name).ok_or_else(|| {
                    BundleError::Invalid(format!(
                        "{at}: the malware's name `{name}` holds no letters or digits to make a slug of"
                    ))
                })?;
                // A name (and slug) an entity of another kind holds already is not this
                // product's: the product is told apart as malware.
                if known.by_name(&name).is_empty() && !known.contains(&minted) {
                    (minted, name.clone())
                } else {
                    let label = format!("{name} (malware)");
                    let product = format!("{minted}-malware");
                    notes.push(format!(
                        "malware `{name}`: the name (or its slug) is a known entity's that is not one product; the product is `{product}`, named \"{label}\""
                    ));
                    (product, label)
                }
            }
        };
        let mut entity = Map::new();
        entity.insert("id".into(), json!(product));
        entity.insert("type".into(), json!("Product"));
        entity.insert("label".into(), json!({ "en": label }));
        if label != name && known.by_name(&name).iter().all(|slug| *slug == product) {
            entity.insert("aliases".into(), json!({ "en": [name] }));
        }
        entities.push(Value::Object(entity));
        products.insert(id, (product, label));
    }
    if products.is_empty() {
        return Err(BundleError::Invalid(
            "the bundle has no malware object: there is no product for its indicators to indicate"
                .into(),
        ));
    }
    // Indicator id → the products it indicates.
    let mut indicates: HashMap<String, Vec<&(String, String)>> = HashMap::new();
    for object in &bundle.objects {
        if text_of(object, "type").as_deref() != Some("relationship")
            || text_of(object, "relationship_type").as_deref() != Some("indicates")
        {
            continue;
        }
        if let (Some(source), Some(target)) =
            (text_of(object, "source_ref"), text_of(object, "target_ref"))
            && let Some(product) = products.get(&target)
        {
            indicates.entry(source).or_default().push(product);
        }
    }
    let mut claims = Vec::new();
    let mut unlinked = 0;
    for (number, object) in bundle.objects.iter().enumerate() {
        if text_of(object, "type").as_deref() != Some("indicator") {
            continue;
        }
        let at = format!("`objects[{number}]`");
        let Some(id) = text_of(object, "id") else {
            return Err(BundleError::Invalid(format!(
                "{at}: an indicator needs an `id`"
            )));
        };
        let Some(uuid) = id
            .strip_prefix("indicator--")
            .filter(|uuid| mint_slug(uuid).as_deref() == Some(uuid))
        else {
            return Err(BundleError::Invalid(format!(
                "{at}: `{id}` is not an indicator id (`indicator--` and a UUID)"
            )));
        };
        let Some(targets) = indicates.get(&id) else {
            unlinked += 1;
            continue;
        };
        let Some(pattern) = text_of(object, "pattern") else {
            return Err(BundleError::Invalid(format!(
                "{at} ({id}): an indicator needs a `pattern`"
            )));
        };
        if pattern.chars().count() > MAX_PATTERN_CHARS {
            return Err(BundleError::Invalid(format!(
                "{at} ({id}): the pattern is longer than {MAX_PATTERN_CHARS} characters"
            )));
        }
        let products: Vec<&str> = targets.iter().map(|(slug, _)| slug.as_str()).collect();
        let names: Vec<&str> = targets.iter().map(|(_, label)| label.as_str()).collect();
        let mut claim = Map::new();
        claim.insert("id".into(), json!(format!("indicator-{uuid}")));
        claim.insert("type".into(), json!("Indicator"));
        claim.insert(
            "label".into(),
            json!({ "en": format!("{}, indicator of {}", observable(&pattern), names.join(" and ")) }),
        );
        claim.insert("indicates".into(), json!(products));
        claim.insert("pattern".into(), json!(pattern));
        if let Some(language) = text_of(object, "pattern_type") {
            claim.insert("patternType".into(), json!(language));
        }
        if let Some(valid_from) = text_of(object, "valid_from") {
            claim.insert("validFrom".into(), json!(valid_from));
        }
        claim.insert("status".into(), json!("attributed"));
        claim.insert("dct:identifier".into(), json!(id));
        claims.push(Value::Object(claim));
    }
    if unlinked > 0 {
        notes.push(format!(
            "{unlinked} indicators left out: no `indicates` relationship ties them to a malware object of the bundle"
        ));
    }
    let indicators = claims.len();
    let product_names: Vec<&str> = products.values().map(|(_, label)| label.as_str()).collect();
    // The publisher is described in every report, so that each holds on its own (a new
    // version replaces the graph that described it before).
    let (publisher_slug, publisher_label) = match known.by_name(publisher.name).as_slice() {
        [one] => (
            one.clone(),
            known
                .label_in(one, "en")
                .unwrap_or(publisher.name)
                .to_owned(),
        ),
        _ => (publisher.slug.to_owned(), publisher.name.to_owned()),
    };
    entities.insert(
        0,
        json!({
            "id": publisher_slug,
            "type": "Organization",
            "label": { "en": publisher_label },
        }),
    );
    let document = json!({
        "@context": crate::vocab::CONTEXT_IRI,
        "id": format!("report:{slug}"),
        "kind": "dataset",
        "label": { "en": format!("Indicators of compromise of {} ({}, {stem})", product_names.join(" and "), publisher.name) },
        "title": { "en": stem },
        "description": { "en": format!("{indicators} indicators of compromise of {}, from the STIX 2.1 bundle {stem}.", product_names.join(" and ")) },
        "publisher": publisher_slug,
        "url": publisher.url,
        "dct:identifier": bundle.id,
        "dct:rights": publisher.rights,
        "entities": entities,
        "claims": claims,
    });
    Ok(BundleReport {
        slug,
        document: serde_json::to_string_pretty(&document).expect("JSON values serialise"),
        products: products.len(),
        known_products,
        indicators,
        notes,
    })
}

/// What a STIX pattern observes, for a label: `[domain-name:value = 'example.com']` →
/// "example.com (domain-name)"; any other pattern as written.
fn observable(pattern: &str) -> String {
    let inner = pattern.trim().trim_start_matches('[').trim_end_matches(']');
    if let Some((path, value)) = inner.split_once('=')
        && !inner.contains(" AND ")
        && !inner.contains(" OR ")
    {
        let object = path.trim().split(':').next().unwrap_or_default();
        let value = value.trim().trim_matches('\'');
        if !object.is_empty() && !value.is_empty() {
            return format!("{value} ({object})");
        }
    }
    pattern.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(objects: Value) -> String {
        json!({ "type": "bundle", "id": "bundle--34d0032b-b342-4076-955d-6c0020fe693a", "objects": objects })
            .to_string()
    }

    #[test]
    fn indicators_of_the_bundles_malware_become_claims_of_its_product() {
        let text = bundle(json!([
            {"type": "malware", "id": "malware--1", "name": "Pegasus", "is_family": false},
            {"type": "indicator", "id": "indicator--05b7c427-1452-437e-a19e-32590edf60c3",
             "pattern": "[domain-name:value='weather4free.com']", "pattern_type": "stix",
             "valid_from": "2024-01-26T21:28:21.013288Z"},
            {"type": "indicator", "id": "indicator--15b7c427-1452-437e-a19e-32590edf60c3",
             "pattern": "[domain-name:value='unlinked.example']", "pattern_type": "stix"},
            {"type": "relationship", "relationship_type": "indicates",
             "source_ref": "indicator--05b7c427-1452-437e-a19e-32590edf60c3", "target_ref": "malware--1"},
        ]));
        let report = bundle_report(
            &text,
            "2021-07-18_nso_pegasus.stix2",
            &AMNESTY,
            &EntityIndex::default(),
            |_| true,
        )
        .unwrap();
        assert_eq!(report.slug, "amnesty-international-2021-07-18-nso-pegasus");
        assert_eq!((report.products, report.indicators), (1, 1));
        let document: Value = serde_json::from_str(&report.document).unwrap();
        let claim = &document["claims"][0];
        assert_eq!(claim["indicates"], json!(["pegasus"]));
        assert_eq!(
            claim["label"]["en"],
            "weather4free.com (domain-name), indicator of Pegasus"
        );
        assert_eq!(claim["status"], "attributed");
        assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    }

    #[test]
    fn bad_bundles_are_refused_saying_why() {
        for (text, expected) in [
            ("[]".to_owned(), "not a STIX 2.1 bundle"),
            (
                json!({"type": "report", "id": "x", "objects": []}).to_string(),
                "\"type\": \"bundle\"",
            ),
            (bundle(json!([])), "no malware object"),
            (
                bundle(json!([{"type": "malware", "id": "malware--1"}])),
                "`objects[0]`: a malware object needs",
            ),
        ] {
            let error = bundle_report(&text, "a.stix2", &AMNESTY, &EntityIndex::default(), |_| {
                true
            })
            .unwrap_err();
            assert!(error.to_string().contains(expected), "{error}");
        }
    }
}
