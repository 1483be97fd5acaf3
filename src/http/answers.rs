//! Answers to SPARQL queries kept until the next write.
//!
//! The same query comes again and again: a dashboard polling, a named query shared in a
//! newsroom, a link to an entity's triples passed around. Its answer cannot change until
//! the store does, so it is kept, by the exact request (query text, base IRI, dataset,
//! media type), and served again until a writer has had the store: each answer is kept
//! with the store's generation read before its evaluation began, and only an answer of
//! the current generation is served.
//!
//! Bounded: answers up to [`AnswerCache::MAX_ANSWER_BYTES`] each, up to the cache's
//! capacity in all, the oldest dropped first. Queries whose answers differ from one
//! evaluation to the next (`RAND()`, `NOW()`, `UUID()`, `STRUUID()`) are never kept.

use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// Answers kept by request, for the store's current generation.
pub struct AnswerCache {
    capacity: usize,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// The generation of every answer kept.
    generation: u64,
    answers: HashMap<Arc<str>, Bytes>,
    /// The requests kept, oldest first.
    order: VecDeque<Arc<str>>,
    bytes: usize,
}

impl AnswerCache {
    /// The largest answer kept.
    pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

    /// A cache of up to `capacity` bytes of answers; 0 keeps none.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            kept: Mutex::default(),
        }
    }

    /// Whether answers are kept at all.
    pub fn is_enabled(&self) -> bool {
        self.capacity > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer to `request` evaluated at `generation`, if kept.
    pub fn get(&self, generation: u64, request: &str) -> Option<Bytes> {
        let kept = self.lock();
        if kept.generation != generation {
            return None;
        }
        kept.answers.get(request).cloned()
    }

    /// Keeps `answer` to `request`, evaluated on a store at least as new as `generation`.
    /// Answers of older generations are dropped; one older than those kept is not kept.
    pub fn insert(&self, generation: u64, request: Arc<str>, answer: Bytes) {
        let size = answer.len() + request.len();
        if size > self.capacity || answer.len() > Self::MAX_ANSWER_BYTES {
            return;
        }
        let mut kept = self.lock();
        if generation < kept.generation {
            return;
        }
        if generation > kept.generation {
            *kept = Kept {
                generation,
                ..Kept::default()
            };
        }
        if kept.answers.contains_key(&request) {
            return;
        }
        while kept.bytes + size > self.capacity {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            if let Some(answer) = kept.answers.remove(&oldest) {
                kept.bytes -= answer.len() + oldest.len();
            }
        }
        kept.bytes += size;
        kept.order.push_back(Arc::clone(&request));
        kept.answers.insert(request, answer);
    }

    /// Bytes of answers and requests kept.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

/// Whether a query's answer may be kept: it calls none of the functions whose value
/// changes between evaluations. `text` is the query as parsed, written out again (so
/// that the functions are spelt one way); a false alarm (the name in a string) only
/// keeps an answer from being kept.
pub fn is_repeatable(text: &str) -> bool {
    let text = text.to_ascii_uppercase();
    !["RAND(", "NOW(", "UUID("]
        .iter()
        .any(|call| text.contains(call))
}

/// A writer that passes everything on to `out` and keeps a copy of it, up to
/// [`AnswerCache::MAX_ANSWER_BYTES`].
pub struct Copying<'a> {
    out: &'a mut dyn Write,
    copy: Option<Vec<u8>>,
}

impl<'a> Copying<'a> {
    pub fn new(out: &'a mut dyn Write) -> Self {
        Self {
            out,
            copy: Some(Vec::new()),
        }
    }

    /// What was written, unless it outgrew the limit.
    pub fn into_copy(self) -> Option<Bytes> {
        self.copy.map(Bytes::from)
    }
}

impl Write for Copying<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.out.write(bytes)?;
        if let Some(copy) = &mut self.copy {
            if copy.len() + written > AnswerCache::MAX_ANSWER_BYTES {
                self.copy = None;
            } else {
                copy.extend_from_slice(&bytes[..written]);
            }
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Arc<str> {
        Arc::from(text)
    }

    #[test]
    fn an_answer_is_served_only_at_the_generation_it_was_kept_for() {
        let cache = AnswerCache::new(1024);
        cache.insert(3, request("q"), Bytes::from_static(b"answer"));
        assert_eq!(cache.get(3, "q").as_deref(), Some(&b"answer"[..]));
        assert_eq!(cache.get(4, "q"), None);
        assert_eq!(cache.get(3, "other"), None);
        // A newer generation drops every answer of the older one.
        cache.insert(4, request("r"), Bytes::from_static(b"new"));
        assert_eq!(cache.get(3, "q"), None);
        assert_eq!(cache.get(4, "q"), None);
        assert_eq!(cache.get(4, "r").as_deref(), Some(&b"new"[..]));
        // An answer evaluated before the last write is not kept.
        cache.insert(3, request("q"), Bytes::from_static(b"stale"));
        assert_eq!(cache.get(3, "q"), None);
        assert_eq!(cache.get(4, "q"), None);
    }

    #[test]
    fn the_oldest_answers_make_room_and_the_bytes_stay_within_the_capacity() {
        let cache = AnswerCache::new(100);
        for n in 0..10 {
            cache.insert(1, request(&format!("q{n}")), Bytes::from(vec![b'x'; 28]));
            assert!(cache.bytes() <= 100, "{} bytes kept", cache.bytes());
        }
        // Each takes 30 bytes: the last three stay.
        assert_eq!(cache.get(1, "q6"), None);
        for n in 7..10 {
            assert!(cache.get(1, &format!("q{n}")).is_some(), "q{n} was dropped");
        }
        // Larger than the whole cache: not kept, nothing dropped for it.
        cache.insert(1, request("huge"), Bytes::from(vec![b'x'; 200]));
        assert_eq!(cache.get(1, "huge"), None);
        assert!(cache.get(1, "q9").is_some());
    }

    #[test]
    fn an_empty_cache_keeps_nothing() {
        let cache = AnswerCache::new(0);
        assert!(!cache.is_enabled());
        cache.insert(1, request("q"), Bytes::from_static(b"a"));
        assert_eq!(cache.get(1, "q"), None);
    }

    #[test]
    fn queries_calling_changing_functions_are_not_repeatable() {
        let parse = |text: &str| {
            spargebra::SparqlParser::new()
                .parse_query(text)
                .unwrap()
                .to_string()
        };
        assert!(is_repeatable(&parse("SELECT * WHERE { ?s ?p ?o } LIMIT 3")));
        for call in ["rand()", "NOW()", "uuid()", "StrUUID()"] {
            let text = parse(&format!("SELECT (({call}) AS ?x) WHERE {{}}"));
            assert!(!is_repeatable(&text), "{call}: {text}");
        }
    }

    #[test]
    fn a_copy_is_kept_up_to_the_limit() {
        let mut out = Vec::new();
        let mut copying = Copying::new(&mut out);
        copying.write_all(b"abc").unwrap();
        assert_eq!(copying.into_copy().as_deref(), Some(&b"abc"[..]));
        let mut out = Vec::new();
        let mut copying = Copying::new(&mut out);
        let large = vec![b'x'; AnswerCache::MAX_ANSWER_BYTES + 1];
        copying.write_all(&large).unwrap();
        assert_eq!(copying.into_copy(), None);
        assert_eq!(out.len(), large.len());
    }
}
