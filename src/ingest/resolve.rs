//! Entity resolution: which known entity a name, slug, IRI or Wikidata id of a report means.
//!
//! An [`EntityIndex`] holds every entity of the `id/` namespace with its names (labels and
//! aliases in every language, [folded](fold)) and its Wikidata items. It is built from the
//! store through SPARQL ([`EntityIndex::from_graph`]) or from quads about to be written
//! ([`EntityIndex::add_quad`]), and answers [`EntityIndex::by_name`] with every candidate,
//! so that the caller can refuse an ambiguous name instead of guessing.

use crate::sorted::SortedVec;
use crate::store::{Graph, StoreError};
use crate::vocab;
use oxigraph::model::vocab::rdfs;
use oxigraph::model::{Literal, NamedNode, NamedNodeRef, QuadRef, TermRef};
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
///
/// Kept fact by fact ([`EntityIndex::set`]): what it answers depends only on which label,
/// alias and Wikidata statements hold, not on the order they were learnt in, so an index
/// kept up to date with the store's writes answers as one built afresh.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EntityIndex {
    /// Slug → what is known of it.
    entities: HashMap<String, Known>,
    /// Folded name → slugs carrying it.
    names: HashMap<String, SortedVec<String>>,
    /// Wikidata id (`Q38`) → slugs matching it.
    wikidata: HashMap<String, SortedVec<String>>,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Known {
    /// (language, text) of its `rdfs:label`s.
    labels: SortedVec<(String, String)>,
    /// (language, text) of its `skos:altLabel`s.
    aliases: SortedVec<(String, String)>,
    /// Its Wikidata ids.
    items: SortedVec<String>,
    /// Known by slug only (a report about to be written describes it).
    bare: bool,
}

impl Known {
    fn is_empty(&self) -> bool {
        !self.bare && self.labels.is_empty() && self.aliases.is_empty() && self.items.is_empty()
    }

    fn folded_names(&self) -> BTreeSet<String> {
        self.labels
            .iter()
            .chain(&self.aliases)
            .map(|(_, text)| fold(text))
            .filter(|folded| !folded.is_empty())
            .collect()
    }

    /// The English label when there is one, else a label in any language (the first in
    /// the order of language and text).
    fn label(&self) -> Option<&str> {
        self.labels
            .iter()
            .find(|(language, _)| language == "en")
            .or_else(|| self.labels.iter().next())
            .map(|(_, text)| text.as_str())
    }
}

impl EntityIndex {
    /// An index of every entity in the store.
    pub fn from_graph(graph: &Graph) -> Result<Self, StoreError> {
        if graph.is_remote() {
            // A remote store answers one query with at most so many rows (Virtuoso: 2^20):
            // quads are read graph by graph (see `Graph::quads_for_pattern`).
            let mut index = Self::default();
            for predicate in [rdfs::LABEL, SKOS_ALT_LABEL, SKOS_EXACT_MATCH] {
                for quad in graph.quads_for_pattern(None, Some(predicate), None, None) {
                    index.add_quad(quad?.as_ref());
                }
            }
            return Ok(index);
        }
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
        let parsed = Graph::parse(&query)?;
        let mut index = Self::default();
        if let QueryResults::Solutions(solutions) =
            graph.query(parsed, crate::store::Dataset::Stored)?
        {
            for solution in solutions {
                let solution = solution?;
                if let (
                    Some(oxigraph::model::Term::NamedNode(entity)),
                    Some(oxigraph::model::Term::NamedNode(predicate)),
                    Some(object),
                ) = (solution.get("e"), solution.get("p"), solution.get("o"))
                {
                    index.set(entity.as_ref(), predicate.as_ref(), object.as_ref(), true);
                }
            }
        }
        Ok(index)
    }

    /// Takes what a quad says about names, aliases and Wikidata items into account.
    pub fn add_quad(&mut self, quad: QuadRef<'_>) {
        if let oxigraph::model::NamedOrBlankNodeRef::NamedNode(subject) = quad.subject {
            self.set(subject, quad.predicate, quad.object, true);
        }
    }

    /// Whether a statement is one the index follows (a label, alias or Wikidata item of
    /// an entity of the `id/` namespace).
    pub fn follows(entity: NamedNodeRef<'_>, predicate: NamedNodeRef<'_>) -> bool {
        (predicate == rdfs::LABEL || predicate == SKOS_ALT_LABEL || predicate == SKOS_EXACT_MATCH)
            && entity.as_str().starts_with(vocab::ID_NAMESPACE)
    }

    /// Records that the store states `entity predicate object` (in some graph), or no
    /// longer does.
    pub fn set(
        &mut self,
        entity: NamedNodeRef<'_>,
        predicate: NamedNodeRef<'_>,
        object: TermRef<'_>,
        holds: bool,
    ) {
        if !Self::follows(entity, predicate) {
            return;
        }
        let slug = &entity.as_str()[vocab::ID_NAMESPACE.len()..];
        let value = match object {
            TermRef::Literal(literal) if predicate != SKOS_EXACT_MATCH => (
                literal.language().unwrap_or_default().to_owned(),
                literal.value().to_owned(),
            ),
            TermRef::NamedNode(item) if predicate == SKOS_EXACT_MATCH => {
                match wikidata_id(item.as_str()) {
                    Some(id) => (String::new(), id.to_owned()),
                    // An exact match elsewhere than Wikidata makes the entity known, no more.
                    None => (String::new(), String::new()),
                }
            }
            _ => return,
        };
        if !holds && !self.entities.contains_key(slug) {
            return;
        }
        let known = self.entities.entry(slug.to_owned()).or_default();
        let names_before = known.folded_names();
        if predicate == SKOS_EXACT_MATCH {
            // The empty id stands for "some exact match", so that a non-Wikidata match
            // keeps the entity known while it holds.
            let changed = if holds {
                known.items.insert(value.1.clone())
            } else {
                known.items.remove(&value.1)
            };
            if changed && !value.1.is_empty() {
                let slugs = self.wikidata.entry(value.1.clone()).or_default();
                if holds {
                    slugs.insert(slug.to_owned());
                } else {
                    slugs.remove(slug);
                    if slugs.is_empty() {
                        self.wikidata.remove(&value.1);
                    }
                }
            }
        } else {
            let set = if predicate == rdfs::LABEL {
                &mut known.labels
            } else {
                &mut known.aliases
            };
            if holds {
                set.insert(value);
            } else {
                set.remove(&value);
            }
        }
        let names_after = known.folded_names();
        let empty = known.is_empty();
        for gone in names_before.difference(&names_after) {
            if let Some(slugs) = self.names.get_mut(gone) {
                slugs.remove(slug);
                if slugs.is_empty() {
                    self.names.remove(gone);
                }
            }
        }
        for new in names_after.difference(&names_before) {
            match self.names.get_mut(new) {
                Some(slugs) => {
                    slugs.insert(slug.to_owned());
                }
                None => {
                    self.names
                        .insert(new.clone(), SortedVec::one(slug.to_owned()));
                }
            }
        }
        if empty {
            self.entities.remove(slug);
        }
    }

    /// Records an entity known by slug only (one described without a label yet).
    pub fn add_slug(&mut self, slug: &str) {
        match self.entities.get_mut(slug) {
            Some(known) => known.bare = true,
            None => {
                self.entities.insert(
                    slug.to_owned(),
                    Known {
                        bare: true,
                        ..Known::default()
                    },
                );
            }
        }
    }

    /// Takes in everything `other` knows.
    pub fn merge(&mut self, other: EntityIndex) {
        for (slug, known) in other.entities {
            let entity = NamedNode::new_unchecked(format!("{}{slug}", vocab::ID_NAMESPACE));
            if known.bare {
                self.add_slug(&slug);
            }
            for (language, text) in &known.labels {
                let literal = literal(text, language);
                self.set(entity.as_ref(), rdfs::LABEL, literal.as_ref().into(), true);
            }
            for (language, text) in &known.aliases {
                let literal = literal(text, language);
                self.set(
                    entity.as_ref(),
                    SKOS_ALT_LABEL,
                    literal.as_ref().into(),
                    true,
                );
            }
            for id in &known.items {
                let item = NamedNode::new_unchecked(format!("{WIKIDATA_ENTITY}{id}"));
                self.set(
                    entity.as_ref(),
                    SKOS_EXACT_MATCH,
                    item.as_ref().into(),
                    true,
                );
            }
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
            .and_then(Known::label)
            .unwrap_or(slug)
    }

    /// The entity's `rdfs:label` in a language, if it has one.
    pub fn label_in(&self, slug: &str, language: &str) -> Option<&str> {
        let known = self.entities.get(slug)?;
        known
            .labels
            .iter()
            .find(|(found, _)| found == language)
            .map(|(_, text)| text.as_str())
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

/// A literal of `text` in `language` (a plain string when the language is empty).
fn literal(text: &str, language: &str) -> Literal {
    if language.is_empty() {
        Literal::new_simple_literal(text)
    } else {
        Literal::new_language_tagged_literal_unchecked(text, language)
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
