//! Search by name: every label and alias of every entity and report, in every language,
//! folded (case and diacritics), answered from memory.
//!
//! A query matches a name exactly, as a prefix, from the start of one of its words
//! (`el gomati` in "Husam El Gomati"), or with one typo per word (`Paragn`); results are
//! ranked in that order, then shorter names first. The index is built from the store
//! through SPARQL ([`SearchIndex::build`]); [`SearchCache`] rebuilds it when the store has
//! changed, so loads and retractions show up in the next search.
//!
//! Lookups use a hash map (exact names), a sorted list of word suffixes (prefixes and
//! word starts: a binary search) and a deletion index of the distinct words (one typo:
//! the SymSpell idea), so a search does not scan the names.

use crate::ingest::resolve::fold;
use crate::store::{Graph, StoreError};
use crate::vocab;
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{NamedNodeRef, Term};
use oxigraph::sparql::QueryResults;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

const SKOS_ALT_LABEL: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#altLabel");

/// The most names a prefix may match before the rest are left out (a one-letter query
/// would otherwise rank every name).
const MAX_PREFIX_MATCHES: usize = 2_000;

/// The longest search text, in characters: longer ones are refused by the HTTP layer and
/// cut here.
pub const MAX_QUERY_CHARS: usize = 200;

/// The most words of a search text that are matched; the rest are ignored.
const MAX_QUERY_WORDS: usize = 16;

/// The longest word matched with a typo. The deletion variants of a word take the square
/// of its length; longer words match exactly or as a prefix only.
const MAX_FUZZY_WORD_CHARS: usize = 32;

/// How a name matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    Exact,
    Prefix,
    Word,
    Fuzzy,
}

/// One entity found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    pub iri: String,
    /// The slug of an entity (`id/`) or report (`report/`).
    pub slug: String,
    /// The entity's label in the requested language (else English, else any).
    pub label: String,
    /// The name that matched (a label or an alias), and its language.
    pub matched: String,
    pub language: Option<String>,
    #[serde(rename = "match")]
    pub how: Match,
    /// The entity's classes (IRIs).
    pub types: Vec<String>,
}

struct Entity {
    iri: String,
    types: Vec<String>,
    /// (language, label) pairs: `rdfs:label` only, for display.
    labels: Vec<(String, String)>,
}

struct Name {
    entity: u32,
    folded: String,
    text: String,
    language: Option<String>,
}

/// What the index knows of an IRI: its labels (language, text) and its classes.
pub type Description<'a> = (&'a [(String, String)], &'a [String]);

/// The names of every entity and report, indexed.
#[derive(Default)]
pub struct SearchIndex {
    entities: Vec<Entity>,
    names: Vec<Name>,
    exact: HashMap<String, Vec<u32>>,
    /// (name, byte offset of a word start), sorted by the folded name from there on.
    suffixes: Vec<(u32, u32)>,
    /// Folded word → names holding it.
    words: HashMap<String, Vec<u32>>,
    /// A word with one character deleted (or whole) → the distinct words giving it.
    deletions: HashMap<String, Vec<u32>>,
    vocabulary: Vec<String>,
    /// Entity IRI → its position in `entities`.
    positions: HashMap<String, u32>,
    /// Labels of everything else (the ontology's classes, properties and concepts):
    /// shown, never searched.
    terms: HashMap<String, Vec<(String, String)>>,
}

impl SearchIndex {
    /// Reads every label, alias and type of the `id/` and `report/` namespaces.
    pub fn build(graph: &Graph) -> Result<Self, StoreError> {
        let query = format!(
            "SELECT ?e ?p ?o WHERE {{ VALUES ?p {{ {} {} {} }} {{ GRAPH ?g {{ ?e ?p ?o }} }} UNION {{ ?e ?p ?o }} }}",
            rdfs::LABEL,
            SKOS_ALT_LABEL,
            rdf::TYPE
        );
        let prepared = Graph::evaluator()
            .parse_query(&query)
            .expect("the search query is valid SPARQL");
        let mut index = Self::default();
        let mut positions: HashMap<String, u32> = HashMap::new();
        let mut seen_names: HashSet<(u32, String, Option<String>)> = HashSet::new();
        if let QueryResults::Solutions(solutions) = graph.query(prepared)? {
            for solution in solutions {
                let solution = solution?;
                let (Some(Term::NamedNode(entity)), Some(Term::NamedNode(predicate)), Some(object)) =
                    (solution.get("e"), solution.get("p"), solution.get("o"))
                else {
                    continue;
                };
                let iri = entity.as_str();
                if !iri.starts_with(vocab::ID_NAMESPACE)
                    && !iri.starts_with(vocab::REPORT_NAMESPACE)
                {
                    if let Term::Literal(literal) = object
                        && *predicate == rdfs::LABEL
                    {
                        let pair = (
                            literal.language().unwrap_or_default().to_owned(),
                            literal.value().to_owned(),
                        );
                        let labels = index.terms.entry(iri.to_owned()).or_default();
                        if !labels.contains(&pair) {
                            labels.push(pair);
                        }
                    }
                    continue;
                }
                let position = *positions.entry(iri.to_owned()).or_insert_with(|| {
                    index.entities.push(Entity {
                        iri: iri.to_owned(),
                        types: Vec::new(),
                        labels: Vec::new(),
                    });
                    (index.entities.len() - 1) as u32
                });
                let entry = &mut index.entities[position as usize];
                match object {
                    Term::NamedNode(class)
                        if *predicate == rdf::TYPE
                            && !entry.types.iter().any(|known| known == class.as_str()) =>
                    {
                        entry.types.push(class.as_str().to_owned());
                    }
                    Term::Literal(literal) if *predicate != rdf::TYPE => {
                        let language = literal.language().map(str::to_owned);
                        if *predicate == rdfs::LABEL {
                            let pair = (
                                language.clone().unwrap_or_default(),
                                literal.value().to_owned(),
                            );
                            if !entry.labels.contains(&pair) {
                                entry.labels.push(pair);
                            }
                        }
                        if seen_names.insert((
                            position,
                            literal.value().to_owned(),
                            language.clone(),
                        )) {
                            let folded = fold(literal.value());
                            if !folded.is_empty() {
                                index.names.push(Name {
                                    entity: position,
                                    folded,
                                    text: literal.value().to_owned(),
                                    language,
                                });
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        index.positions = positions;
        index.build_lookups();
        Ok(index)
    }

    fn build_lookups(&mut self) {
        let mut vocabulary: HashMap<String, u32> = HashMap::new();
        for (id, name) in self.names.iter().enumerate() {
            let id = id as u32;
            self.exact.entry(name.folded.clone()).or_default().push(id);
            let mut offset = 0;
            for word in name.folded.split(' ') {
                self.suffixes.push((id, offset as u32));
                offset += word.len() + 1;
                let names = self.words.entry(word.to_owned()).or_default();
                if names.last() != Some(&id) {
                    names.push(id);
                }
                if !vocabulary.contains_key(word) {
                    vocabulary.insert(word.to_owned(), self.vocabulary.len() as u32);
                    self.vocabulary.push(word.to_owned());
                }
            }
        }
        let names = &self.names;
        self.suffixes.sort_unstable_by(|a, b| {
            names[a.0 as usize].folded[a.1 as usize..]
                .cmp(&names[b.0 as usize].folded[b.1 as usize..])
        });
        for (id, word) in self.vocabulary.iter().enumerate() {
            if word.chars().count() > MAX_FUZZY_WORD_CHARS {
                continue;
            }
            for variant in deletions(word) {
                self.deletions.entry(variant).or_default().push(id as u32);
            }
        }
    }

    /// Entities and reports matching `text`, best first; `types` (class IRIs) keeps those
    /// of one of these classes; `language` picks the label shown.
    ///
    /// The work is linear in the text: only its first [`MAX_QUERY_CHARS`] characters and
    /// [`MAX_QUERY_WORDS`] words count, and only words of up to [`MAX_FUZZY_WORD_CHARS`]
    /// characters are matched with a typo.
    pub fn search(&self, text: &str, types: &[String], language: &str, limit: usize) -> Vec<Hit> {
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let query = fold(&text);
        let query = match query.match_indices(' ').nth(MAX_QUERY_WORDS - 1) {
            Some((cut, _)) => query[..cut].to_owned(),
            None => query,
        };
        if query.is_empty() || limit == 0 {
            return Vec::new();
        }
        // Best match per name.
        let mut found: HashMap<u32, Match> = HashMap::new();
        let note = |found: &mut HashMap<u32, Match>, name: u32, how: Match| {
            let best = found.entry(name).or_insert(how);
            if how < *best {
                *best = how;
            }
        };
        if let Some(names) = self.exact.get(&query) {
            for name in names {
                note(&mut found, *name, Match::Exact);
            }
        }
        let start = self
            .suffixes
            .partition_point(|(name, offset)| self.suffix(*name, *offset) < query.as_str());
        for (name, offset) in self.suffixes[start..].iter().take(MAX_PREFIX_MATCHES) {
            if !self.suffix(*name, *offset).starts_with(&query) {
                break;
            }
            let how = if *offset == 0 {
                Match::Prefix
            } else {
                Match::Word
            };
            note(&mut found, *name, how);
        }
        // One typo per word: every query word must match a word of the name, exactly or
        // with one edit (the last one also as a prefix). Not needed when the better
        // matches already fill the page.
        let entities_found: HashSet<u32> = found
            .keys()
            .map(|name| self.names[*name as usize].entity)
            .collect();
        let tokens: Vec<&str> = if types.is_empty() && entities_found.len() >= limit {
            Vec::new()
        } else {
            query.split(' ').collect()
        };
        let mut candidates: Option<HashSet<u32>> = None;
        for (position, token) in tokens.iter().enumerate() {
            let mut names: HashSet<u32> = HashSet::new();
            for word in self.near(token) {
                if let Some(holding) = self.words.get(&self.vocabulary[word as usize]) {
                    names.extend(holding.iter().copied());
                }
            }
            if token.chars().count() > MAX_FUZZY_WORD_CHARS
                && let Some(holding) = self.words.get(*token)
            {
                names.extend(holding.iter().copied());
            }
            if position + 1 == tokens.len() {
                let start = self
                    .suffixes
                    .partition_point(|(name, offset)| self.suffix(*name, *offset) < *token);
                for (name, offset) in self.suffixes[start..].iter().take(MAX_PREFIX_MATCHES) {
                    if !self.suffix(*name, *offset).starts_with(token) {
                        break;
                    }
                    names.insert(*name);
                }
            }
            candidates = Some(match candidates {
                None => names,
                Some(before) => before.intersection(&names).copied().collect(),
            });
        }
        for name in candidates.unwrap_or_default() {
            note(&mut found, name, Match::Fuzzy);
        }
        // Best name per entity, then rank.
        let mut best: HashMap<u32, (Match, u32)> = HashMap::new();
        for (name, how) in found {
            let entity = self.names[name as usize].entity;
            let better = match best.get(&entity) {
                None => true,
                Some((known, known_name)) => {
                    (how, self.names[name as usize].folded.len())
                        < (*known, self.names[*known_name as usize].folded.len())
                }
            };
            if better {
                best.insert(entity, (how, name));
            }
        }
        let mut hits: Vec<(Match, usize, &str, u32, u32)> = best
            .into_iter()
            .filter(|(entity, _)| {
                types.is_empty()
                    || self.entities[*entity as usize]
                        .types
                        .iter()
                        .any(|class| types.contains(class))
            })
            .map(|(entity, (how, name))| {
                let folded = self.names[name as usize].folded.as_str();
                (how, folded.len(), folded, entity, name)
            })
            .collect();
        hits.sort_unstable();
        hits.into_iter()
            .take(limit)
            .map(|(how, _, _, entity, name)| self.hit(entity, name, how, language))
            .collect()
    }

    fn suffix(&self, name: u32, offset: u32) -> &str {
        &self.names[name as usize].folded[offset as usize..]
    }

    /// The distinct words within one edit of `token` (itself included); none for a token
    /// too long to match with a typo.
    fn near(&self, token: &str) -> Vec<u32> {
        if token.chars().count() > MAX_FUZZY_WORD_CHARS {
            return Vec::new();
        }
        let mut words: HashSet<u32> = HashSet::new();
        for variant in deletions(token) {
            if let Some(found) = self.deletions.get(&variant) {
                for word in found {
                    if within_one_edit(token, &self.vocabulary[*word as usize]) {
                        words.insert(*word);
                    }
                }
            }
        }
        words.into_iter().collect()
    }

    fn hit(&self, entity: u32, name: u32, how: Match, language: &str) -> Hit {
        let entity = &self.entities[entity as usize];
        let name = &self.names[name as usize];
        let label = [language, "en"]
            .iter()
            .find_map(|wanted| {
                entity
                    .labels
                    .iter()
                    .find(|(language, _)| language == wanted)
                    .map(|(_, text)| text.clone())
            })
            .or_else(|| entity.labels.first().map(|(_, text)| text.clone()))
            .unwrap_or_else(|| name.text.clone());
        let slug = entity
            .iri
            .strip_prefix(vocab::ID_NAMESPACE)
            .or_else(|| entity.iri.strip_prefix(vocab::REPORT_NAMESPACE))
            .unwrap_or(&entity.iri)
            .to_owned();
        Hit {
            iri: entity.iri.clone(),
            slug,
            label,
            matched: name.text.clone(),
            language: name.language.clone(),
            how,
            types: entity.types.clone(),
        }
    }

    /// The entities of a class (its IRI), each with its label in `language` (else
    /// English, else any), sorted by that label; and how many there are in all.
    pub fn of_type(
        &self,
        class: &str,
        language: &str,
        offset: usize,
        limit: usize,
    ) -> (Vec<(String, String)>, usize) {
        let mut entities: Vec<(String, String)> = self
            .entities
            .iter()
            .filter(|entity| entity.types.iter().any(|t| t == class))
            .map(|entity| {
                let label = [language, "en"]
                    .iter()
                    .find_map(|wanted| entity.labels.iter().find(|(l, _)| l == wanted))
                    .or_else(|| entity.labels.first())
                    .map(|(_, text)| text.clone())
                    .unwrap_or_else(|| entity.iri.clone());
                (entity.iri.clone(), label)
            })
            .collect();
        let total = entities.len();
        entities.sort_by_cached_key(|(iri, label)| (fold(label), iri.clone()));
        (
            entities.into_iter().skip(offset).take(limit).collect(),
            total,
        )
    }

    /// The labels (language, text) and classes of an IRI: an entity's or report's, or an
    /// ontology term's (labels only).
    pub fn describe(&self, iri: &str) -> Option<Description<'_>> {
        if let Some(position) = self.positions.get(iri) {
            let entity = &self.entities[*position as usize];
            return Some((&entity.labels, &entity.types));
        }
        self.terms
            .get(iri)
            .map(|labels| (labels.as_slice(), &[][..]))
    }

    /// How many entities each class has.
    pub fn counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for entity in &self.entities {
            for class in &entity.types {
                *counts.entry(class.clone()).or_default() += 1;
            }
        }
        counts
    }

    /// Number of names indexed.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// The word itself and every string with one character of it deleted.
fn deletions(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut variants = Vec::with_capacity(chars.len() + 1);
    variants.push(word.to_owned());
    if chars.len() > 2 {
        for skip in 0..chars.len() {
            variants.push(
                chars
                    .iter()
                    .enumerate()
                    .filter(|(position, _)| *position != skip)
                    .map(|(_, c)| *c)
                    .collect(),
            );
        }
    }
    variants
}

/// Whether two words are at most one insertion, deletion or substitution apart.
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let mut i = 0;
    while i < short.len() && short[i] == long[i] {
        i += 1;
    }
    if short.len() == long.len() {
        i == short.len() || short[i + 1..] == long[i + 1..]
    } else {
        short[i..] == long[i + 1..]
    }
}

/// The search index of one store, rebuilt when the store has changed since it was built.
#[derive(Clone, Default)]
pub struct SearchCache {
    slot: Arc<Mutex<Option<Built>>>,
}

/// An index and the store generation it was built from.
type Built = (u64, Arc<SearchIndex>);

impl SearchCache {
    /// The index when it is up to date with the store, without touching the store.
    pub fn fresh(&self, graph: &Graph) -> Option<Arc<SearchIndex>> {
        let slot = self
            .slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match slot.as_ref() {
            Some((built, index)) if *built == graph.generation() => Some(Arc::clone(index)),
            _ => None,
        }
    }

    /// The index, up to date with the store (built again when it is not).
    pub fn get(&self, graph: &Graph) -> Result<Arc<SearchIndex>, StoreError> {
        let mut slot = self
            .slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let generation = graph.generation();
        if let Some((built, index)) = slot.as_ref()
            && *built == generation
        {
            return Ok(Arc::clone(index));
        }
        // Built for every request after this one: not cut at this one's deadline.
        let index = Arc::new(crate::store::without_cancellation(|| {
            SearchIndex::build(graph)
        })?);
        *slot = Some((generation, Arc::clone(&index)));
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_apart() {
        assert!(within_one_edit("paragon", "paragn"));
        assert!(within_one_edit("paragon", "parajon"));
        assert!(within_one_edit("paragon", "paragonx"));
        assert!(within_one_edit("paragon", "paragon"));
        assert!(!within_one_edit("paragon", "parjgn"));
        assert!(!within_one_edit("paragon", "para"));
    }

    #[test]
    fn deletions_include_the_word() {
        let variants = deletions("abc");
        assert!(variants.contains(&"abc".to_owned()));
        assert!(variants.contains(&"ac".to_owned()));
        assert_eq!(variants.len(), 4);
    }
}
