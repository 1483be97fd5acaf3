//! Search by name: every label and alias of every entity and report, in every language,
//! folded (case and diacritics), answered from memory.
//!
//! A query matches a name exactly, as a prefix, from the start of one of its words
//! (`el gomati` in "Husam El Gomati"), or with one typo per word (`Paragn`); results are
//! ranked in that order, then shorter names first, then by name and IRI. The index is
//! built from the store through SPARQL ([`SearchIndex::build`]) and then kept up to date
//! fact by fact from every write ([`Live`], see [`crate::changes`]), so loads and
//! retractions show up in the next search without reading the store again.
//!
//! Lookups use a hash map (exact names), a sorted set of word suffixes (prefixes and word
//! starts: a range walk) and a deletion index of the distinct words (one typo: the
//! SymSpell idea), so a search does not scan the names.

use crate::changes::{Change, Follows, Kept};
use crate::ingest::resolve::fold;
use crate::lookups;
use crate::sorted::SortedVec;
use crate::store::{Graph, StoreError};
use crate::vocab;
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{NamedNode, NamedNodeRef, NamedOrBlankNodeRef, QuadRef, Term};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

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

/// The most names gathered as candidates of a match with typos (from the rarest word of
/// the query): past this, the rest are left out.
const MAX_FUZZY_CANDIDATES: usize = 10_000;

/// The longest word matched with a typo. The deletion variants of a word take the square
/// of its length; longer words match exactly or as a prefix only.
const MAX_FUZZY_WORD_CHARS: usize = 32;

/// How a name matched, best first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
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

/// One name of an entity: a label or an alias, in a language. Equal, hashed and ordered
/// by entity, text and language, so that every index orders ties the same way however it
/// was built.
#[derive(Clone)]
struct Name(Arc<NameData>);

struct NameData {
    entity: Arc<str>,
    folded: Box<str>,
    text: Box<str>,
    language: Option<Box<str>>,
}

impl Name {
    fn key(&self) -> (&str, &str, Option<&str>) {
        (&self.0.entity, &self.0.text, self.0.language.as_deref())
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// A name from the start of one of its words (a byte offset into the folded name),
/// ordered by the folded text from there on: the sorted list that prefix and word-start
/// lookups search.
#[derive(Clone, PartialEq, Eq)]
struct Suffix(Name, u32);

impl Suffix {
    fn text(&self) -> &str {
        &self.0.0.folded[self.1 as usize..]
    }
}

impl PartialOrd for Suffix {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Suffix {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text()
            .cmp(other.text())
            .then_with(|| self.0.cmp(&other.0))
            .then_with(|| self.1.cmp(&other.1))
    }
}

/// Where a name comes from: `rdfs:label`, `skos:altLabel`, or both.
const FROM_LABEL: u8 = 1;
const FROM_ALIAS: u8 = 2;

#[derive(Default)]
struct Entity {
    /// Its classes, each IRI shared with the listing of the class.
    types: SortedVec<Arc<str>>,
    /// Its names (in the order of text and language), each with where it comes from: its
    /// labels (`rdfs:label`, shown) and aliases. A name that folds to nothing (`"!!"`) is
    /// shown, never searched.
    names: Vec<(Name, u8)>,
}

impl Entity {
    fn is_empty(&self) -> bool {
        self.types.is_empty() && self.names.is_empty()
    }

    /// Its labels, as (language, text), in the order of the names.
    fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.names
            .iter()
            .filter(|(_, sources)| sources & FROM_LABEL != 0)
            .map(|(name, _)| (name.0.language.as_deref().unwrap_or(""), &*name.0.text))
    }

    /// Its labels, as (language, text), sorted.
    fn sorted_labels(&self) -> Vec<(String, String)> {
        let mut labels: Vec<(String, String)> = self
            .labels()
            .map(|(language, text)| (language.to_owned(), text.to_owned()))
            .collect();
        labels.sort();
        labels
    }

    /// The label shown in `language`: that language's, else English, else the first (by
    /// language, then text); the first by text among several in one language.
    fn label_in(&self, language: &str) -> Option<&str> {
        [language, "en"]
            .iter()
            .find_map(|wanted| self.labels().find(|(l, _)| l == wanted))
            .or_else(|| self.labels().min())
            .map(|(_, text)| text)
    }

    /// What listings sort by: the folded label (English, else the first), then the IRI.
    fn listing_key(&self, iri: &Arc<str>) -> (String, Arc<str>) {
        (fold(self.label_in("en").unwrap_or(iri)), Arc::clone(iri))
    }
}

/// What the index knows of an IRI: its labels (language, text) and its classes.
pub type Description = (Vec<(String, String)>, Vec<String>);

/// One statement the index follows: a label, an alias or a class of an IRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fact {
    pub subject: NamedNode,
    pub predicate: NamedNode,
    pub object: Term,
}

impl Fact {
    /// The fact a quad states, when it is one the index follows.
    pub fn of(quad: QuadRef<'_>) -> Option<Self> {
        let NamedOrBlankNodeRef::NamedNode(subject) = quad.subject else {
            return None;
        };
        let followed = quad.predicate == rdfs::LABEL
            || quad.predicate == SKOS_ALT_LABEL
            || quad.predicate == rdf::TYPE;
        followed.then(|| Self {
            subject: subject.into_owned(),
            predicate: quad.predicate.into_owned(),
            object: quad.object.into_owned(),
        })
    }

    /// Whether the store states it, in any graph.
    fn holds(&self, store: &Graph) -> bool {
        crate::changes::holds(
            store,
            self.subject.as_ref().into(),
            self.predicate.as_ref(),
            self.object.as_ref(),
        )
    }
}

/// The names of every entity and report, indexed; kept up to date fact by fact
/// ([`SearchIndex::set`]), so that it is always what [`SearchIndex::build`] would make of
/// the same store.
#[derive(Default)]
pub struct SearchIndex {
    entities: HashMap<Arc<str>, Entity>,
    exact: HashMap<Box<str>, SortedVec<Name>>,
    suffixes: BTreeSet<Suffix>,
    /// Folded word → names holding it.
    words: HashMap<Box<str>, SortedVec<Name>>,
    /// A word with one character deleted (or whole) → the words giving it.
    deletions: HashMap<Box<str>, SortedVec<Box<str>>>,
    /// Class → its entities, in listing order.
    classes: HashMap<Arc<str>, BTreeSet<(String, Arc<str>)>>,
    /// Labels of everything else (the ontology's classes, properties and concepts):
    /// shown, never searched.
    terms: HashMap<String, SortedVec<(String, String)>>,
}

impl SearchIndex {
    /// Reads every label, alias and type of the store.
    pub fn build(graph: &Graph) -> Result<Self, StoreError> {
        let mut index = Self::default();
        for_each_fact(graph, |fact| index.set(&fact, true))?;
        Ok(index)
    }

    /// Records that the store states `fact` (in some graph), or no longer does.
    pub fn set(&mut self, fact: &Fact, holds: bool) {
        let iri = fact.subject.as_str();
        let predicate = fact.predicate.as_ref();
        if !iri.starts_with(vocab::ID_NAMESPACE) && !iri.starts_with(vocab::REPORT_NAMESPACE) {
            if let Term::Literal(literal) = &fact.object
                && predicate == rdfs::LABEL
            {
                let pair = (
                    literal.language().unwrap_or_default().to_owned(),
                    literal.value().to_owned(),
                );
                if holds {
                    self.terms.entry(iri.to_owned()).or_default().insert(pair);
                } else if let Some(labels) = self.terms.get_mut(iri) {
                    labels.remove(&pair);
                    if labels.is_empty() {
                        self.terms.remove(iri);
                    }
                }
            }
            return;
        }
        let relevant = match &fact.object {
            Term::NamedNode(_) => predicate == rdf::TYPE,
            Term::Literal(_) => predicate != rdf::TYPE,
            _ => false,
        };
        if !relevant || (!holds && !self.entities.contains_key(iri)) {
            return;
        }
        let key: Arc<str> = match self.entities.get_key_value(iri) {
            Some((key, _)) => Arc::clone(key),
            None => Arc::from(iri),
        };
        let mut entity = self.entities.remove(iri).unwrap_or_default();
        let listed_before = entity.listing_key(&key);
        let mut name_added = None;
        let mut name_removed = None;
        match &fact.object {
            Term::NamedNode(class) => {
                if holds {
                    let shared = match self.classes.get_key_value(class.as_str()) {
                        Some((shared, _)) => Arc::clone(shared),
                        None => Arc::from(class.as_str()),
                    };
                    entity.types.insert(shared);
                } else {
                    entity.types.remove(class.as_str());
                }
            }
            Term::Literal(literal) => {
                let language = literal.language().map(str::to_owned);
                let source = if predicate == rdfs::LABEL {
                    FROM_LABEL
                } else {
                    FROM_ALIAS
                };
                let folded = fold(literal.value());
                {
                    // Names of one entity sort by text and language.
                    let wanted = (literal.value(), literal.language());
                    let found = entity.names.binary_search_by(|(name, _)| {
                        (&*name.0.text, name.0.language.as_deref()).cmp(&wanted)
                    });
                    match found {
                        Ok(at) => {
                            let (name, sources) = &mut entity.names[at];
                            if holds {
                                *sources |= source;
                            } else {
                                *sources &= !source;
                                if *sources == 0 {
                                    name_removed = Some(name.clone());
                                    entity.names.remove(at);
                                }
                            }
                        }
                        Err(at) if holds => {
                            let name = Name(Arc::new(NameData {
                                entity: Arc::clone(&key),
                                folded: folded.into(),
                                text: literal.value().into(),
                                language: language.map(String::into_boxed_str),
                            }));
                            name_added = Some(name.clone());
                            entity.names.reserve_exact(1);
                            entity.names.insert(at, (name, source));
                        }
                        Err(_) => {}
                    }
                }
            }
            _ => {}
        }
        // The entity's place in the listings of its classes.
        let listed_after = entity.listing_key(&key);
        if let Term::NamedNode(class) = &fact.object {
            let shared = entity
                .types
                .iter()
                .find(|known| &***known == class.as_str())
                .cloned()
                .unwrap_or_else(|| Arc::from(class.as_str()));
            let members = self.classes.entry(shared).or_default();
            if holds {
                members.insert(listed_after.clone());
            } else {
                members.remove(&listed_before);
                if members.is_empty() {
                    self.classes.remove(class.as_str());
                }
            }
        } else if listed_before != listed_after {
            for class in &entity.types {
                if let Some(members) = self.classes.get_mut(&**class) {
                    members.remove(&listed_before);
                    members.insert(listed_after.clone());
                }
            }
        }
        if let Some(name) = name_added.filter(|name| !name.0.folded.is_empty()) {
            self.add_name(name);
        }
        if let Some(name) = name_removed.filter(|name| !name.0.folded.is_empty()) {
            self.remove_name(&name);
        }
        if !entity.is_empty() {
            self.entities.insert(key, entity);
        }
    }

    fn add_name(&mut self, name: Name) {
        let folded = name.0.folded.clone();
        self.exact
            .entry(folded.clone())
            .or_default()
            .insert(name.clone());
        let mut offset = 0;
        for word in folded.split(' ') {
            self.suffixes.insert(Suffix(name.clone(), offset as u32));
            offset += word.len() + 1;
            match self.words.get_mut(word) {
                Some(names) => {
                    names.insert(name.clone());
                }
                None => {
                    self.words.insert(word.into(), SortedVec::one(name.clone()));
                    if word.chars().count() <= MAX_FUZZY_WORD_CHARS {
                        for variant in deletions(word) {
                            self.deletions
                                .entry(variant.into())
                                .or_default()
                                .insert(word.into());
                        }
                    }
                }
            }
        }
    }

    fn remove_name(&mut self, name: &Name) {
        let folded = name.0.folded.clone();
        if let Some(names) = self.exact.get_mut(&folded) {
            names.remove(name);
            if names.is_empty() {
                self.exact.remove(&folded);
            }
        }
        let mut offset = 0;
        for word in folded.split(' ') {
            self.suffixes.remove(&Suffix(name.clone(), offset as u32));
            offset += word.len() + 1;
            let Some(names) = self.words.get_mut(word) else {
                continue;
            };
            names.remove(name);
            if names.is_empty() {
                self.words.remove(word);
                if word.chars().count() <= MAX_FUZZY_WORD_CHARS {
                    for variant in deletions(word) {
                        if let Some(words) = self.deletions.get_mut(variant.as_str()) {
                            words.remove(word);
                            if words.is_empty() {
                                self.deletions.remove(variant.as_str());
                            }
                        }
                    }
                }
            }
        }
    }

    /// Entities and reports matching `text`, best first; `types` (class IRIs) keeps those
    /// of one of these classes; `language` picks the label shown.
    ///
    /// The work is linear in the text: only its first [`MAX_QUERY_CHARS`] characters and
    /// 16 words count, and only words of up to 32 characters are matched with a typo.
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
        let mut found: HashMap<&Name, Match> = HashMap::new();
        fn note<'a>(found: &mut HashMap<&'a Name, Match>, name: &'a Name, how: Match) {
            let best = found.entry(name).or_insert(how);
            if how < *best {
                *best = how;
            }
        }
        if let Some(names) = self.exact.get(query.as_str()) {
            for name in names {
                note(&mut found, name, Match::Exact);
            }
        }
        for suffix in self.starting_with(&query) {
            let how = if suffix.1 == 0 {
                Match::Prefix
            } else {
                Match::Word
            };
            note(&mut found, &suffix.0, how);
        }
        // One typo per word: every query word must match a word of the name, exactly or
        // with one edit (the last one also as a prefix). Not needed when the better
        // matches already fill the page.
        let entities_found: HashSet<&str> = found.keys().map(|name| &*name.0.entity).collect();
        let tokens: Vec<&str> = if types.is_empty() && entities_found.len() >= limit {
            Vec::new()
        } else {
            query.split(' ').collect()
        };
        // The names holding the rarest token's words are the candidates; each is then
        // checked against the other tokens word by word (a name with a common word, such
        // as "person", is never gathered through that word).
        let mut candidates: Vec<&Name> = Vec::new();
        if !tokens.is_empty() {
            let last = tokens.len() - 1;
            let gathered: Vec<(Vec<&str>, Vec<&Name>)> = tokens
                .iter()
                .enumerate()
                .map(|(position, token)| {
                    let mut words = self.near(token);
                    if token.chars().count() > MAX_FUZZY_WORD_CHARS
                        && self.words.contains_key(*token)
                    {
                        words.push(*token);
                    }
                    let prefixed: Vec<&Name> = if position == last {
                        self.starting_with(token).map(|suffix| &suffix.0).collect()
                    } else {
                        Vec::new()
                    };
                    (words, prefixed)
                })
                .collect();
            let size = |(words, prefixed): &(Vec<&str>, Vec<&Name>)| {
                prefixed.len()
                    + words
                        .iter()
                        .filter_map(|word| self.words.get(*word))
                        .map(|names| names.len())
                        .sum::<usize>()
            };
            let rarest = (0..tokens.len())
                .min_by_key(|position| size(&gathered[*position]))
                .expect("some token");
            let (words, prefixed) = &gathered[rarest];
            let mut seeds: HashSet<&Name> = prefixed.iter().copied().collect();
            for word in words {
                if let Some(holding) = self.words.get(*word) {
                    seeds.extend(holding.iter().take(MAX_FUZZY_CANDIDATES));
                }
                if seeds.len() >= MAX_FUZZY_CANDIDATES {
                    break;
                }
            }
            candidates = seeds
                .into_iter()
                .filter(|name| {
                    tokens.iter().enumerate().all(|(position, token)| {
                        position == rarest
                            || name.0.folded.split(' ').any(|word| {
                                (position == last && word.starts_with(token))
                                    || if token.chars().count() > MAX_FUZZY_WORD_CHARS {
                                        word == *token
                                    } else {
                                        within_one_edit(token, word)
                                    }
                            })
                    })
                })
                .collect();
        }
        for name in candidates {
            note(&mut found, name, Match::Fuzzy);
        }
        // Best name per entity, then rank: how it matched, shorter names first, then by
        // name and IRI (the same order however the index was built).
        let mut best: HashMap<&str, (Match, &Name)> = HashMap::new();
        for (name, how) in found {
            let entity = &*name.0.entity;
            let better = match best.get(entity) {
                None => true,
                Some((known, known_name)) => {
                    (how, name.0.folded.len(), name)
                        < (*known, known_name.0.folded.len(), *known_name)
                }
            };
            if better {
                best.insert(entity, (how, name));
            }
        }
        let mut hits: Vec<(Match, usize, &str, &str, &Name)> = best
            .into_iter()
            .filter_map(|(iri, (how, name))| {
                let entity = self.entities.get(iri)?;
                (types.is_empty()
                    || entity
                        .types
                        .iter()
                        .any(|class| types.iter().any(|wanted| **wanted == **class)))
                .then(|| (how, name.0.folded.len(), &*name.0.folded, iri, name))
            })
            .collect();
        hits.sort_unstable();
        hits.into_iter()
            .take(limit)
            .filter_map(|(how, _, _, iri, name)| self.hit(iri, name, how, language))
            .collect()
    }

    /// The suffixes starting with `prefix`, at most [`MAX_PREFIX_MATCHES`] of them.
    fn starting_with<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Suffix> + 'a {
        let probe = Suffix(
            Name(Arc::new(NameData {
                entity: Arc::from(""),
                folded: prefix.into(),
                text: "".into(),
                language: None,
            })),
            0,
        );
        self.suffixes
            .range(probe..)
            .take(MAX_PREFIX_MATCHES)
            .take_while(move |suffix| suffix.text().starts_with(prefix))
    }

    /// The distinct words within one edit of `token` (itself included); none for a token
    /// too long to match with a typo.
    fn near(&self, token: &str) -> Vec<&str> {
        if token.chars().count() > MAX_FUZZY_WORD_CHARS {
            return Vec::new();
        }
        let mut words: BTreeSet<&str> = BTreeSet::new();
        for variant in deletions(token) {
            if let Some(found) = self.deletions.get(variant.as_str()) {
                for word in found {
                    if within_one_edit(token, word) {
                        words.insert(word);
                    }
                }
            }
        }
        words.into_iter().collect()
    }

    fn hit(&self, iri: &str, name: &Name, how: Match, language: &str) -> Option<Hit> {
        let entity = self.entities.get(iri)?;
        let label = entity
            .label_in(language)
            .map(str::to_owned)
            .unwrap_or_else(|| name.0.text.to_string());
        let slug = iri
            .strip_prefix(vocab::ID_NAMESPACE)
            .or_else(|| iri.strip_prefix(vocab::REPORT_NAMESPACE))
            .unwrap_or(iri)
            .to_owned();
        Some(Hit {
            iri: iri.to_owned(),
            slug,
            label,
            matched: name.0.text.to_string(),
            language: name.0.language.as_deref().map(str::to_owned),
            how,
            types: entity.types.iter().map(|class| class.to_string()).collect(),
        })
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
        let Some(members) = self.classes.get(class) else {
            return (Vec::new(), 0);
        };
        let labelled = |iri: &Arc<str>| {
            let label = self
                .entities
                .get(iri)
                .and_then(|entity| entity.label_in(language))
                .map(str::to_owned)
                .unwrap_or_else(|| iri.to_string());
            (iri.to_string(), label)
        };
        let total = members.len();
        if language == "en" {
            // The listing order is the English one: a page is a walk, not a sort.
            let page = members
                .iter()
                .skip(offset)
                .take(limit)
                .map(|(_, iri)| labelled(iri))
                .collect();
            return (page, total);
        }
        let mut entities: Vec<(String, String)> =
            members.iter().map(|(_, iri)| labelled(iri)).collect();
        entities.sort_by_cached_key(|(iri, label)| (fold(label), iri.clone()));
        (
            entities.into_iter().skip(offset).take(limit).collect(),
            total,
        )
    }

    /// The labels (language, text) and classes of an IRI: an entity's or report's, or an
    /// ontology term's (labels only).
    pub fn describe(&self, iri: &str) -> Option<Description> {
        if let Some(entity) = self.entities.get(iri) {
            return Some((
                entity.sorted_labels(),
                entity.types.iter().map(|class| class.to_string()).collect(),
            ));
        }
        self.terms
            .get(iri)
            .map(|labels| (labels.iter().cloned().collect(), Vec::new()))
    }

    /// How many entities each class has.
    pub fn counts(&self) -> HashMap<String, usize> {
        self.classes
            .iter()
            .map(|(class, members)| (class.to_string(), members.len()))
            .collect()
    }

    /// Number of names indexed.
    pub fn len(&self) -> usize {
        self.entities
            .values()
            .map(|entity| entity.names.len())
            .sum()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// Everything the index holds, in a canonical order: two indexes of the same store
    /// give the same, however they were made (the tests compare an index kept up to date
    /// with one built afresh).
    pub fn canonical(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut entities: Vec<_> = self.entities.iter().collect();
        entities.sort_by(|a, b| a.0.cmp(b.0));
        for (iri, entity) in entities {
            lines.push(format!(
                "entity {iri} labels={:?} types={:?} names={:?}",
                entity.sorted_labels(),
                entity.types,
                entity
                    .names
                    .iter()
                    .map(|(name, sources)| (name.key(), &*name.0.folded, sources))
                    .collect::<Vec<_>>()
            ));
        }
        let mut exact: Vec<_> = self
            .exact
            .iter()
            .map(|(folded, names)| {
                format!(
                    "exact {folded} {:?}",
                    names.iter().map(Name::key).collect::<Vec<_>>()
                )
            })
            .collect();
        exact.sort();
        lines.extend(exact);
        lines.extend(
            self.suffixes
                .iter()
                .map(|suffix| format!("suffix {} {:?}", suffix.text(), suffix.0.key())),
        );
        let mut words: Vec<_> = self
            .words
            .iter()
            .map(|(word, names)| {
                format!(
                    "word {word} {:?}",
                    names.iter().map(Name::key).collect::<Vec<_>>()
                )
            })
            .collect();
        words.sort();
        lines.extend(words);
        let mut deletions: Vec<_> = self
            .deletions
            .iter()
            .map(|(variant, words)| format!("deletion {variant} {words:?}"))
            .collect();
        deletions.sort();
        lines.extend(deletions);
        let mut classes: Vec<_> = self
            .classes
            .iter()
            .map(|(class, members)| format!("class {class} {members:?}"))
            .collect();
        classes.sort();
        lines.extend(classes);
        let mut terms: Vec<_> = self
            .terms
            .iter()
            .map(|(iri, labels)| format!("term {iri} {labels:?}"))
            .collect();
        terms.sort();
        lines.extend(terms);
        lines
    }
}

/// Calls `take` with every label, alias and class the store holds, as they are read (at
/// ten million triples, a list of them all would take more memory than the index).
fn for_each_fact(graph: &Graph, mut take: impl FnMut(Fact)) -> Result<(), StoreError> {
    if graph.is_remote() {
        // A remote store answers one query with at most so many rows (Virtuoso: 2^20):
        // quads are read graph by graph (see `Graph::quads_for_pattern`).
        for predicate in [rdfs::LABEL, SKOS_ALT_LABEL, rdf::TYPE] {
            for quad in graph.quads_for_pattern(None, Some(predicate), None, None) {
                let quad = quad?;
                if let oxigraph::model::NamedOrBlankNode::NamedNode(subject) = quad.subject {
                    take(Fact {
                        subject,
                        predicate: quad.predicate,
                        object: quad.object,
                    });
                }
            }
        }
        return Ok(());
    }
    lookups::NAMES_AND_CLASSES.for_each(graph, &[], |solution| {
        if let (Some(Term::NamedNode(subject)), Some(Term::NamedNode(predicate)), Some(object)) =
            (solution.get("e"), solution.get("p"), solution.get("o"))
        {
            take(Fact {
                subject: subject.clone(),
                predicate: predicate.clone(),
                object: object.clone(),
            });
        }
        true
    })?;
    Ok(())
}

/// The labels and classes of some IRIs, read from the store: what pages use while the
/// index is first being built.
pub fn describe_from_store(
    graph: &Graph,
    iris: &[String],
) -> Result<HashMap<String, Description>, StoreError> {
    let mut index = SearchIndex::default();
    for iri in iris {
        let Ok(subject) = NamedNode::new(iri.as_str()) else {
            continue;
        };
        for predicate in [rdfs::LABEL, rdf::TYPE] {
            for quad in
                graph.quads_for_pattern(Some(subject.as_ref().into()), Some(predicate), None, None)
            {
                if let Some(fact) = Fact::of(quad?.as_ref()) {
                    index.set(&fact, true);
                }
            }
        }
    }
    Ok(iris
        .iter()
        .filter_map(|iri| Some((iri.clone(), index.describe(iri)?)))
        .collect())
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

/// The search index of one store, kept up to date by its writes: a write's labels,
/// aliases and classes are in it before the write returns.
pub type Live = Kept<SearchIndex>;

impl Follows for SearchIndex {
    type Touched = Vec<Fact>;
    const NAME: &'static str = "search index";

    fn build(graph: &Graph) -> Result<Self, StoreError> {
        SearchIndex::build(graph)
    }

    fn touched(_: &Graph, change: &Change) -> Option<Vec<Fact>> {
        let facts: Vec<Fact> = change
            .quads()
            .filter_map(|(quad, _)| Fact::of(quad.as_ref()))
            .collect();
        (!facts.is_empty()).then_some(facts)
    }

    fn catch_up(&mut self, store: &Graph, facts: &Vec<Fact>) {
        for fact in facts {
            self.set(fact, fact.holds(store));
        }
    }
}

impl Kept<SearchIndex> {
    /// The labels and classes of some IRIs: from the index when it is complete, else from
    /// the store.
    pub fn describe_all(
        &self,
        iris: &[String],
    ) -> Result<HashMap<String, Description>, StoreError> {
        if self.is_complete() {
            return Ok(self.read(|index| {
                iris.iter()
                    .filter_map(|iri| Some((iri.clone(), index.describe(iri)?)))
                    .collect()
            }));
        }
        describe_from_store(self.graph(), iris)
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
