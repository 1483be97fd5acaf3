//! The dataset's figures in VoID terms (triples, entities, classes, properties) for the
//! service description, and the store's size for `/metrics`, kept by every write (see
//! [`crate::changes`]) rather than counted per request.
//!
//! Each graph's figures are counted from the graph itself: a write counts again the
//! graphs it touched (a report's graph is small), and the totals move by the difference.
//! Entities are the subjects under `id/`; classes those that `rdf:type` names; both are
//! counted once however many graphs name them.

use crate::changes::{Change, Follows, Kept};
use crate::store::{Graph, StoreError};
use crate::vocab;
use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphName, GraphNameRef, NamedNodeRef, NamedOrBlankNode, Term};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The figures of one store, kept by its writes.
pub type Figures = Kept<Counts>;

/// What one graph holds.
#[derive(Debug, Default, Clone, PartialEq)]
struct GraphCounts {
    quads: u64,
    /// Predicate → its quads here.
    properties: HashMap<Arc<str>, u64>,
    /// The classes `rdf:type` names here, and the entities here.
    classes: BTreeSet<Arc<str>>,
    entities: BTreeSet<Arc<str>>,
}

/// The figures of every graph, and their totals.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Counts {
    /// Graph (`None`: the default graph) → its figures.
    graphs: HashMap<Option<Arc<str>>, GraphCounts>,
    quads: u64,
    properties: HashMap<Arc<str>, u64>,
    /// Class or entity → the graphs naming it.
    classes: HashMap<Arc<str>, u32>,
    entities: HashMap<Arc<str>, u32>,
}

/// The totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub quads: u64,
    pub entities: u64,
    pub classes: u64,
    pub properties: u64,
}

impl Counts {
    pub fn totals(&self) -> Totals {
        Totals {
            quads: self.quads,
            entities: self.entities.len() as u64,
            classes: self.classes.len() as u64,
            properties: self.properties.len() as u64,
        }
    }

    /// Each named graph with its quads, by IRI.
    pub fn named_graphs(&self) -> Vec<(&str, u64)> {
        let mut graphs: Vec<(&str, u64)> = self
            .graphs
            .iter()
            .filter_map(|(name, counts)| Some((name.as_deref()?, counts.quads)))
            .collect();
        graphs.sort_unstable();
        graphs
    }

    /// Counts one graph again from the store.
    fn recount(&mut self, store: &Graph, name: Option<&str>) -> Result<(), StoreError> {
        let graph_name = match name {
            Some(name) => GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(name)),
            None => GraphNameRef::DefaultGraph,
        };
        let mut counts = GraphCounts::default();
        for (read, quad) in store
            .quads_for_pattern(None, None, None, Some(graph_name))
            .enumerate()
        {
            if read % 65_536 == 65_535 {
                crate::store::check_cancelled()?;
            }
            let quad = quad?;
            counts.quads += 1;
            *counts
                .properties
                .entry(Arc::from(quad.predicate.as_str()))
                .or_default() += 1;
            if quad.predicate == rdf::TYPE
                && let Term::NamedNode(class) = &quad.object
            {
                counts.classes.insert(Arc::from(class.as_str()));
            }
            if let NamedOrBlankNode::NamedNode(subject) = &quad.subject
                && subject.as_str().starts_with(vocab::ID_NAMESPACE)
            {
                counts.entities.insert(Arc::from(subject.as_str()));
            }
        }
        let key = name.map(Arc::from);
        let old = self.graphs.remove(&key).unwrap_or_default();
        self.quads = self.quads - old.quads + counts.quads;
        for (property, n) in &old.properties {
            let left = self.properties.get_mut(property).map(|count| {
                *count -= n;
                *count
            });
            if left == Some(0) {
                self.properties.remove(property);
            }
        }
        for (property, n) in &counts.properties {
            *self.properties.entry(property.clone()).or_default() += n;
        }
        for (totals, before, now) in [
            (&mut self.classes, &old.classes, &counts.classes),
            (&mut self.entities, &old.entities, &counts.entities),
        ] {
            for gone in before.difference(now) {
                let left = totals.get_mut(gone).map(|count| {
                    *count -= 1;
                    *count
                });
                if left == Some(0) {
                    totals.remove(gone);
                }
            }
            for new in now.difference(before) {
                *totals.entry(new.clone()).or_default() += 1;
            }
        }
        if counts.quads > 0 {
            self.graphs.insert(key, counts);
        }
        Ok(())
    }
}

/// The graphs a change touched (`None`: the default graph).
pub type Touched = BTreeSet<Option<String>>;

impl Follows for Counts {
    type Touched = Touched;
    const NAME: &'static str = "figures";

    fn build(graph: &Graph) -> Result<Self, StoreError> {
        let mut counts = Self::default();
        let mut names: BTreeSet<Option<String>> = BTreeSet::from([None]);
        for name in graph.named_graphs()? {
            names.insert(Some(name.into_string()));
        }
        for name in &names {
            counts.recount(graph, name.as_deref())?;
        }
        Ok(counts)
    }

    fn touched(_: &Graph, change: &Change) -> Option<Touched> {
        let touched: Touched = change
            .quads()
            .map(|(quad, _)| match &quad.graph_name {
                GraphName::NamedNode(name) => Some(name.as_str().to_owned()),
                _ => None,
            })
            .collect();
        (!touched.is_empty()).then_some(touched)
    }

    fn catch_up(&mut self, graph: &Graph, touched: &Touched) {
        for name in touched {
            // Never stops: a write's change is counted whole.
            if let Err(error) =
                crate::store::without_cancellation(|| self.recount(graph, name.as_deref()))
            {
                tracing::warn!(%error, "cannot count a graph again for the figures");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_kept_by_writes_are_those_counted_afresh() {
        let graph = crate::ingest::seed::in_memory_with_bundled().unwrap();
        let figures = Figures::build(&graph).unwrap();
        let before = figures.read(Counts::totals);
        assert!(before.quads > 0 && before.entities > 600 && before.classes > 10);
        assert_eq!(before.quads, graph.len().unwrap() as u64);
        let report = oxigraph::model::NamedNode::new_unchecked(
            "https://w3id.org/spyatlas/report/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack",
        );
        graph.drop_graph(report.as_ref().into()).unwrap();
        assert!(figures.wait_until_complete(std::time::Duration::from_secs(60)));
        let after = figures.read(Counts::totals);
        assert!(after.quads < before.quads);
        assert_eq!(figures.read(Clone::clone), Counts::build(&graph).unwrap());
    }
}
