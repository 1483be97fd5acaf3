//! Entity resolution: which known entity a name, slug, IRI or Wikidata id of a report means.
//!
//! An [`EntityIndex`] holds every entity of the `id/` namespace with its names (labels and
//! aliases in every language, [folded](fold)) and its Wikidata items. It is built from the
//! store through SPARQL ([`EntityIndex::from_graph`]) or from quads about to be written
//! ([`EntityIndex::add_quad`]), and answers [`EntityIndex::by_name`] with every candidate,
//! so that the caller can refuse an ambiguous name instead of guessing.

use crate::store::{Graph, StoreError};
use crate::vocab;
use oxigraph::model::vocab::rdfs;
use oxigraph::model::{NamedNodeRef, QuadRef, TermRef};
use oxigraph::sparql::QueryResults;
use std::collections::{BTreeSet, HashMap};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

const SKOS_ALT_LABEL: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#altLabel");
const SKOS_EXACT_MATCH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#exactMatch");

/// Folds a name for matching: diacritics removed, lower case, every run of characters
/// other than letters and digits collapsed to one space. `"Israëlische"` and
/// `"israelische"` fold alike, as do `"El-Gomati"` and `"el gomati"`.
pub fn fold(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if gap && !folded.is_empty() {
                folded.push(' ');
            }
            gap = false;
            folded.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    folded
}

/// Mints the slug of a name: diacritics removed, lower-case ASCII letters and digits, every
/// run of other characters collapsed to one hyphen. `None` when nothing is left (a name in
/// a script without ASCII letters needs an explicit `id`).
pub fn mint_slug(name: &str) -> Option<String> {
    let mut slug = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_ascii_alphanumeric() {
            if gap && !slug.is_empty() {
                slug.push('-');
            }
            gap = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    (!slug.is_empty()).then_some(slug)
}

/// Whether `text` is a slug: lower-case ASCII letters, digits and single inner hyphens.
pub fn is_slug(text: &str) -> bool {
    crate::queries::is_slug(text)
}

/// Every known entity, by slug, name and Wikidata item.
#[derive(Debug, Default, Clone)]
pub struct EntityIndex {
    /// Slug → a label to show (the English one when there is one).
    entities: HashMap<String, Label>,
    /// Folded name → slugs carrying it.
    names: HashMap<String, BTreeSet<String>>,
    /// Wikidata id (`Q38`) → slugs matching it.
    wikidata: HashMap<String, BTreeSet<String>>,
    /// (slug, language) → the entity's `rdfs:label` in that language.
    labels: HashMap<(String, String), String>,
}

#[derive(Debug, Default, Clone)]
struct Label {
    text: String,
    english: bool,
}

impl EntityIndex {
    /// An index of every entity in the store.
    pub fn from_graph(graph: &Graph) -> Result<Self, StoreError> {
        // Graph by graph (a name in two graphs comes twice; the index keeps it once): much
        // faster than the union default graph, which removes duplicates first. Entities
        // outside the `id/` namespace are skipped while indexing.
        let query = format!(
            "SELECT ?e ?p ?o WHERE {{ \
               VALUES ?p {{ {label} {alt} {exact} }} \
               {{ GRAPH ?g {{ ?e ?p ?o }} }} UNION {{ ?e ?p ?o }} }}",
            label = rdfs::LABEL,
            alt = SKOS_ALT_LABEL,
            exact = SKOS_EXACT_MATCH,
        );
        let prepared = Graph::evaluator()
            .parse_query(&query)
            .expect("the index query is valid SPARQL");
        let mut index = Self::default();
        if let QueryResults::Solutions(solutions) = graph.query(prepared)? {
            for solution in solutions {
                let solution = solution?;
                if let (
                    Some(oxigraph::model::Term::NamedNode(entity)),
                    Some(oxigraph::model::Term::NamedNode(predicate)),
                    Some(object),
                ) = (solution.get("e"), solution.get("p"), solution.get("o"))
                {
                    index.add(entity.as_ref(), predicate.as_ref(), object.as_ref());
                }
            }
        }
        Ok(index)
    }

    /// Takes what a quad says about names, aliases and Wikidata items into account.
    pub fn add_quad(&mut self, quad: QuadRef<'_>) {
        if let oxigraph::model::NamedOrBlankNodeRef::NamedNode(subject) = quad.subject {
            self.add(subject, quad.predicate, quad.object);
        }
    }

    fn add(&mut self, entity: NamedNodeRef<'_>, predicate: NamedNodeRef<'_>, object: TermRef<'_>) {
        if predicate != rdfs::LABEL && predicate != SKOS_ALT_LABEL && predicate != SKOS_EXACT_MATCH
        {
            return;
        }
        let Some(slug) = entity.as_str().strip_prefix(vocab::ID_NAMESPACE) else {
            return;
        };
        if predicate == rdfs::LABEL || predicate == SKOS_ALT_LABEL {
            let TermRef::Literal(literal) = object else {
                return;
            };
            // Lookups before inserts: the same name often comes again (one entity described
            // by many reports), and an owned key costs an allocation.
            let folded = fold(literal.value());
            if !folded.is_empty() {
                match self.names.get_mut(&folded) {
                    Some(slugs) => {
                        if !slugs.contains(slug) {
                            slugs.insert(slug.to_owned());
                        }
                    }
                    None => {
                        self.names.insert(folded, BTreeSet::from([slug.to_owned()]));
                    }
                }
            }
            if !self.entities.contains_key(slug) {
                self.entities.insert(slug.to_owned(), Label::default());
            }
            if predicate != rdfs::LABEL {
                return;
            }
            let english = literal.language() == Some("en");
            let entry = self.entities.get_mut(slug).expect("inserted above");
            if entry.text.is_empty() || english && !entry.english {
                *entry = Label {
                    text: literal.value().to_owned(),
                    english,
                };
            }
            if let Some(language) = literal.language() {
                self.labels
                    .entry((slug.to_owned(), language.to_owned()))
                    .or_insert_with(|| literal.value().to_owned());
            }
        } else if predicate == SKOS_EXACT_MATCH {
            if let TermRef::NamedNode(item) = object
                && let Some(id) = wikidata_id(item.as_str())
            {
                self.wikidata
                    .entry(id.to_owned())
                    .or_default()
                    .insert(slug.to_owned());
            }
            self.entities.entry(slug.to_owned()).or_default();
        }
    }

    /// Records an entity known by slug only (one described without a label yet).
    pub fn add_slug(&mut self, slug: &str) {
        if !self.entities.contains_key(slug) {
            self.entities.insert(slug.to_owned(), Label::default());
        }
    }

    /// Takes in everything `other` knows.
    pub fn merge(&mut self, other: EntityIndex) {
        for (slug, label) in other.entities {
            match self.entities.get_mut(&slug) {
                Some(known) if known.text.is_empty() || (label.english && !known.english) => {
                    if !label.text.is_empty() {
                        *known = label;
                    }
                }
                Some(_) => {}
                None => {
                    self.entities.insert(slug, label);
                }
            }
        }
        for (name, slugs) in other.names {
            self.names.entry(name).or_default().extend(slugs);
        }
        for (id, slugs) in other.wikidata {
            self.wikidata.entry(id).or_default().extend(slugs);
        }
        for (key, label) in other.labels {
            self.labels.entry(key).or_insert(label);
        }
    }

    /// Whether an entity with this slug is known.
    pub fn contains(&self, slug: &str) -> bool {
        self.entities.contains_key(slug)
    }

    /// The slugs of the entities with this name or alias (folded), sorted.
    pub fn by_name(&self, name: &str) -> Vec<String> {
        self.names
            .get(&fold(name))
            .map(|slugs| slugs.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The slugs of the entities matching a Wikidata id (`Q38`), sorted.
    pub fn by_wikidata(&self, id: &str) -> Vec<String> {
        self.wikidata
            .get(id)
            .map(|slugs| slugs.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A label to show for an entity (English when there is one), or its slug.
    pub fn label<'a>(&'a self, slug: &'a str) -> &'a str {
        self.entities
            .get(slug)
            .map(|label| label.text.as_str())
            .filter(|text| !text.is_empty())
            .unwrap_or(slug)
    }

    /// The entity's `rdfs:label` in a language, if it has one.
    pub fn label_in(&self, slug: &str, language: &str) -> Option<&str> {
        self.labels
            .get(&(slug.to_owned(), language.to_owned()))
            .map(String::as_str)
    }

    /// Number of known entities.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// Whether no entity is known.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }
}

/// What resolution asks of the known entities: an [`EntityIndex`], or two of them layered
/// ([`Layered`]).
pub trait Entities {
    /// Whether an entity with this slug is known.
    fn contains(&self, slug: &str) -> bool;
    /// The slugs of the entities with this name or alias (folded), sorted.
    fn by_name(&self, name: &str) -> Vec<String>;
    /// The slugs of the entities matching a Wikidata id (`Q38`), sorted.
    fn by_wikidata(&self, id: &str) -> Vec<String>;
    /// A label to show for an entity, or its slug.
    fn label<'a>(&'a self, slug: &'a str) -> &'a str;
    /// The entity's `rdfs:label` in a language, if it has one.
    fn label_in(&self, slug: &str, language: &str) -> Option<&str>;
}

impl Entities for EntityIndex {
    fn contains(&self, slug: &str) -> bool {
        EntityIndex::contains(self, slug)
    }
    fn by_name(&self, name: &str) -> Vec<String> {
        EntityIndex::by_name(self, name)
    }
    fn by_wikidata(&self, id: &str) -> Vec<String> {
        EntityIndex::by_wikidata(self, id)
    }
    fn label<'a>(&'a self, slug: &'a str) -> &'a str {
        EntityIndex::label(self, slug)
    }
    fn label_in(&self, slug: &str, language: &str) -> Option<&str> {
        EntityIndex::label_in(self, slug, language)
    }
}

/// The entities of `base` and those of `top` (reports read but not written yet), as one.
pub struct Layered<'a> {
    pub base: &'a EntityIndex,
    pub top: &'a EntityIndex,
}

impl Entities for Layered<'_> {
    fn contains(&self, slug: &str) -> bool {
        self.top.contains(slug) || self.base.contains(slug)
    }
    fn by_name(&self, name: &str) -> Vec<String> {
        merge(self.base.by_name(name), self.top.by_name(name))
    }
    fn by_wikidata(&self, id: &str) -> Vec<String> {
        merge(self.base.by_wikidata(id), self.top.by_wikidata(id))
    }
    fn label<'a>(&'a self, slug: &'a str) -> &'a str {
        if self.base.contains(slug) {
            self.base.label(slug)
        } else {
            self.top.label(slug)
        }
    }
    fn label_in(&self, slug: &str, language: &str) -> Option<&str> {
        self.base
            .label_in(slug, language)
            .or_else(|| self.top.label_in(slug, language))
    }
}

fn merge(mut a: Vec<String>, b: Vec<String>) -> Vec<String> {
    a.extend(b);
    a.sort();
    a.dedup();
    a
}

/// The id (`Q38`) of a Wikidata entity IRI (`http://www.wikidata.org/entity/Q38`).
pub fn wikidata_id(iri: &str) -> Option<&str> {
    let id = iri
        .strip_prefix(WIKIDATA_ENTITY)
        .or_else(|| iri.strip_prefix("https://www.wikidata.org/wiki/"))?;
    is_wikidata_id(id).then_some(id)
}

/// Whether `text` is a Wikidata item id such as `Q38`.
pub fn is_wikidata_id(text: &str) -> bool {
    text.len() > 1 && text.starts_with('Q') && text[1..].bytes().all(|byte| byte.is_ascii_digit())
}

/// The namespace of Wikidata entities.
pub const WIKIDATA_ENTITY: &str = "http://www.wikidata.org/entity/";

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{GraphNameRef, LiteralRef};

    #[test]
    fn folding_ignores_case_diacritics_and_punctuation() {
        assert_eq!(fold("Israëlische"), "israelische");
        assert_eq!(fold("  Husam El-Gomati "), "husam el gomati");
        assert_eq!(fold("Italië"), fold("italie"));
        assert_ne!(fold("Italia"), fold("Italie"));
    }

    #[test]
    fn minted_slugs_are_lower_case_ascii_with_single_hyphens() {
        assert_eq!(
            mint_slug("Paragon Solutions").as_deref(),
            Some("paragon-solutions")
        );
        assert_eq!(
            mint_slug("Agenzia per la cybersicurezza nazionale (ACN)").as_deref(),
            Some("agenzia-per-la-cybersicurezza-nazionale-acn")
        );
        assert_eq!(
            mint_slug("Citizen Lab's “report”").as_deref(),
            Some("citizen-lab-s-report")
        );
        assert_eq!(mint_slug("حسام"), None);
    }

    #[test]
    fn names_and_wikidata_items_find_their_entities() {
        let mut index = EntityIndex::default();
        let italy = NamedNodeRef::new_unchecked("https://w3id.org/spyatlas/id/italy");
        let label = NamedNodeRef::new_unchecked("http://www.w3.org/2000/01/rdf-schema#label");
        let item = NamedNodeRef::new_unchecked("http://www.wikidata.org/entity/Q38");
        for (predicate, object) in [
            (
                label,
                TermRef::from(LiteralRef::new_language_tagged_literal_unchecked(
                    "Italië", "nl",
                )),
            ),
            (
                label,
                TermRef::from(LiteralRef::new_language_tagged_literal_unchecked(
                    "Italy", "en",
                )),
            ),
            (SKOS_EXACT_MATCH, TermRef::from(item)),
        ] {
            index.add_quad(QuadRef::new(
                italy,
                predicate,
                object,
                GraphNameRef::DefaultGraph,
            ));
        }
        assert_eq!(index.by_name("ITALIE"), ["italy"]);
        assert_eq!(index.by_wikidata("Q38"), ["italy"]);
        assert_eq!(index.label("italy"), "Italy");
        assert!(index.by_name("Italia").is_empty());
    }
}
