//! The figures people ask for first (incidents per vendor per year, targets per country,
//! reports per publisher), kept as counts that every write updates (see
//! [`crate::changes`]), so that answering them reads a few hundred numbers instead of
//! aggregating the store.
//!
//! Each figure sums what some "anchors" contribute: an incident its (vendor, year) pairs,
//! a target its countries, a report its publishers. A write finds the anchors it may have
//! changed (the subjects and objects of its quads, and the incidents using a product whose
//! vendor changed), reads what each contributes now from the store (a few index lookups,
//! no SPARQL), and moves the counts by the difference. A change not known quad by quad (a
//! SPARQL update), and the server's start, count everything again in the background while
//! the counts before keep answering.
//!
//! The counts are over every claim, whatever status its report gives it: they say where
//! to look, and the pages they link to show each claim with its status and report.

use crate::changes::{Change, Follows, Kept};
use crate::store::Graph;
use crate::vocab;
use crate::vocab::DCT_PUBLISHER;
use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, TermRef};
use std::collections::{BTreeSet, HashMap, HashSet};

fn sa(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{}{local}", vocab::ONTOLOGY_NAMESPACE))
}

/// The properties that say where a target is from.
const COUNTRY_PROPERTIES: [&str; 3] = ["nationality", "residence", "country"];

/// The year an incident without a date is counted under.
pub const UNDATED: &str = "undated";

/// The counts, and what each anchor contributes to them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tables {
    /// Incident → the (vendor, year) pairs it counts for.
    incidents: HashMap<NamedNode, Box<[(NamedNode, String)]>>,
    per_vendor_year: HashMap<(NamedNode, String), usize>,
    /// Target → the countries it counts for.
    targets: HashMap<NamedNode, Box<[NamedNode]>>,
    per_country: HashMap<NamedNode, usize>,
    /// Report → its publishers.
    reports: HashMap<NamedNode, Box<[NamedNode]>>,
    per_publisher: HashMap<NamedNode, usize>,
}

/// The anchors a change may have touched.
#[derive(Debug, Default)]
pub struct Anchors {
    incidents: HashSet<NamedNode>,
    targets: HashSet<NamedNode>,
    reports: HashSet<NamedNode>,
}

/// One vendor's incidents: in all, and per year.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VendorIncidents {
    pub vendor: String,
    pub total: usize,
    /// Year (or [`UNDATED`]) → incidents.
    pub years: std::collections::BTreeMap<String, usize>,
}

/// A count of one thing (a country's targets, a publisher's reports).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Count {
    pub iri: String,
    pub count: usize,
}

impl Tables {
    /// Counts everything in the store.
    ///
    /// A build stops when the work on this thread is cancelled (the server is stopping).
    pub fn build(store: &Graph) -> Result<Self, crate::store::StoreError> {
        let mut tables = Self::default();
        let mut anchors = Anchors::default();
        let mut read = 0usize;
        let mut every_so_often = || {
            read += 1;
            if read.is_multiple_of(4096) {
                crate::store::check_cancelled()
            } else {
                Ok(())
            }
        };
        let incident = sa("Incident");
        for quad in store
            .quads_for_pattern(None, Some(rdf::TYPE), Some(incident.as_ref().into()), None)
            .flatten()
        {
            every_so_often()?;
            if let NamedOrBlankNode::NamedNode(subject) = quad.subject {
                anchors.incidents.insert(subject);
            }
        }
        let target = sa("target");
        for quad in store
            .quads_for_pattern(None, Some(target.as_ref()), None, None)
            .flatten()
        {
            every_so_often()?;
            if let Term::NamedNode(object) = quad.object {
                anchors.targets.insert(object);
            }
        }
        for quad in store
            .quads_for_pattern(None, Some(DCT_PUBLISHER), None, None)
            .flatten()
        {
            every_so_often()?;
            if let NamedOrBlankNode::NamedNode(subject) = &quad.subject
                && quad.graph_name.as_ref() == GraphNameRef::NamedNode(subject.as_ref())
            {
                anchors.reports.insert(subject.clone());
            }
        }
        tables.recount_checking(store, &anchors, &mut every_so_often)?;
        Ok(tables)
    }

    /// Counts again what `anchors` contribute, as the store now says.
    fn recount(&mut self, store: &Graph, anchors: &Anchors) {
        // Never stops: a write's change is counted whole.
        let _ = self.recount_checking(store, anchors, &mut || Ok(()));
    }

    /// Recounts what `anchors` contribute, calling `check` before each (a build stops
    /// when it fails).
    fn recount_checking(
        &mut self,
        store: &Graph,
        anchors: &Anchors,
        check: &mut dyn FnMut() -> Result<(), crate::store::StoreError>,
    ) -> Result<(), crate::store::StoreError> {
        for incident in &anchors.incidents {
            check()?;
            let now = incident_pairs(store, incident);
            update(
                &mut self.incidents,
                &mut self.per_vendor_year,
                incident,
                now,
            );
        }
        for target in &anchors.targets {
            check()?;
            let now = target_countries(store, target);
            update(&mut self.targets, &mut self.per_country, target, now);
        }
        for report in &anchors.reports {
            check()?;
            let now = report_publishers(store, report);
            update(&mut self.reports, &mut self.per_publisher, report, now);
        }
        Ok(())
    }

    /// Vendors by incidents, most first, at most `limit`.
    pub fn incidents_per_vendor(&self, limit: usize) -> Vec<VendorIncidents> {
        let mut vendors: HashMap<&NamedNode, VendorIncidents> = HashMap::new();
        for ((vendor, year), count) in &self.per_vendor_year {
            let entry = vendors.entry(vendor).or_insert_with(|| VendorIncidents {
                vendor: vendor.as_str().to_owned(),
                total: 0,
                years: Default::default(),
            });
            entry.total += count;
            *entry.years.entry(year.clone()).or_default() += count;
        }
        let mut vendors: Vec<VendorIncidents> = vendors.into_values().collect();
        vendors.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.vendor.cmp(&b.vendor)));
        vendors.truncate(limit);
        vendors
    }

    /// Countries by named targets, most first, at most `limit`.
    pub fn targets_per_country(&self, limit: usize) -> Vec<Count> {
        top(&self.per_country, limit)
    }

    /// Publishers by reports, most first, at most `limit`.
    pub fn reports_per_publisher(&self, limit: usize) -> Vec<Count> {
        top(&self.per_publisher, limit)
    }
}

fn top(counts: &HashMap<NamedNode, usize>, limit: usize) -> Vec<Count> {
    let mut counts: Vec<Count> = counts
        .iter()
        .map(|(iri, count)| Count {
            iri: iri.as_str().to_owned(),
            count: *count,
        })
        .collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.iri.cmp(&b.iri)));
    counts.truncate(limit);
    counts
}

/// Replaces what `anchor` contributes by `now`, moving the counts by the difference.
///
/// What each anchor contributes is kept as a sorted slice: most hold one or two items,
/// for which a B-tree's node would take ten times the memory.
fn update<K: Clone + Eq + std::hash::Hash + Ord>(
    contributions: &mut HashMap<NamedNode, Box<[K]>>,
    counts: &mut HashMap<K, usize>,
    anchor: &NamedNode,
    now: BTreeSet<K>,
) {
    let before: BTreeSet<K> = contributions
        .remove(anchor)
        .map(|before| before.into_vec().into_iter().collect())
        .unwrap_or_default();
    for gone in before.difference(&now) {
        if let Some(count) = counts.get_mut(gone) {
            *count -= 1;
            if *count == 0 {
                counts.remove(gone);
            }
        }
    }
    for new in now.difference(&before) {
        *counts.entry(new.clone()).or_default() += 1;
    }
    if !now.is_empty() {
        contributions.insert(anchor.clone(), now.into_iter().collect());
    }
}

/// The objects of `subject predicate ?o` that are IRIs, in any graph.
fn objects(store: &Graph, subject: &NamedNode, predicate: NamedNodeRef<'_>) -> BTreeSet<NamedNode> {
    store
        .quads_for_pattern(Some(subject.as_ref().into()), Some(predicate), None, None)
        .flatten()
        .filter_map(|quad| match quad.object {
            Term::NamedNode(object) => Some(object),
            _ => None,
        })
        .collect()
}

/// An incident's vendors (named on it, or developing a product it used), each with the
/// incident's year: the earliest of its dates, else of its start dates, else undated.
fn incident_pairs(store: &Graph, incident: &NamedNode) -> BTreeSet<(NamedNode, String)> {
    let is_incident = crate::changes::holds(
        store,
        incident.as_ref().into(),
        rdf::TYPE,
        sa("Incident").as_ref().into(),
    );
    if !is_incident {
        return BTreeSet::new();
    }
    let mut vendors = objects(store, incident, sa("vendor").as_ref());
    let developed_by = sa("developedBy");
    for product in objects(store, incident, sa("usedProduct").as_ref()) {
        vendors.extend(objects(store, &product, developed_by.as_ref()));
    }
    let year_of = |property: &str| {
        store
            .quads_for_pattern(
                Some(incident.as_ref().into()),
                Some(sa(property).as_ref()),
                None,
                None,
            )
            .flatten()
            .filter_map(|quad| match quad.object {
                Term::Literal(literal) => {
                    let year = literal.value().get(..4)?;
                    year.bytes()
                        .all(|b| b.is_ascii_digit())
                        .then(|| year.to_owned())
                }
                _ => None,
            })
            .min()
    };
    let year = year_of("date")
        .or_else(|| year_of("startDate"))
        .unwrap_or_else(|| UNDATED.to_owned());
    vendors
        .into_iter()
        .map(|vendor| (vendor, year.clone()))
        .collect()
}

/// A target's countries (nationality, residence, country), when it is the target of
/// something.
fn target_countries(store: &Graph, target: &NamedNode) -> BTreeSet<NamedNode> {
    let targeted = store
        .quads_for_pattern(
            None,
            Some(sa("target").as_ref()),
            Some(TermRef::NamedNode(target.as_ref())),
            None,
        )
        .next()
        .is_some();
    if !targeted {
        return BTreeSet::new();
    }
    COUNTRY_PROPERTIES
        .iter()
        .flat_map(|property| objects(store, target, sa(property).as_ref()))
        .collect()
}

/// The publishers a report names in its own graph.
fn report_publishers(store: &Graph, report: &NamedNode) -> BTreeSet<NamedNode> {
    store
        .quads_for_pattern(
            Some(report.as_ref().into()),
            Some(DCT_PUBLISHER),
            None,
            Some(GraphNameRef::NamedNode(report.as_ref())),
        )
        .flatten()
        .filter_map(|quad| match quad.object {
            Term::NamedNode(publisher) => Some(publisher),
            _ => None,
        })
        .collect()
}

/// The anchors a change may have touched.
fn anchors_of(store: &Graph, change: &Change) -> Anchors {
    let mut anchors = Anchors::default();
    let incident_properties = [sa("vendor"), sa("usedProduct"), sa("date"), sa("startDate")];
    let (developed_by, used_product, target) = (sa("developedBy"), sa("usedProduct"), sa("target"));
    let country_properties: Vec<NamedNode> = COUNTRY_PROPERTIES.iter().map(|p| sa(p)).collect();
    for (quad, _) in change.quads() {
        let NamedOrBlankNode::NamedNode(subject) = &quad.subject else {
            continue;
        };
        let predicate = &quad.predicate;
        if *predicate == rdf::TYPE || incident_properties.contains(predicate) {
            anchors.incidents.insert(subject.clone());
        }
        if *predicate == developed_by {
            for using in store
                .quads_for_pattern(
                    None,
                    Some(used_product.as_ref()),
                    Some(TermRef::NamedNode(subject.as_ref())),
                    None,
                )
                .flatten()
            {
                if let NamedOrBlankNode::NamedNode(incident) = using.subject {
                    anchors.incidents.insert(incident);
                }
            }
        }
        if *predicate == target
            && let Term::NamedNode(object) = &quad.object
        {
            anchors.targets.insert(object.clone());
        }
        if country_properties.contains(predicate) {
            anchors.targets.insert(subject.clone());
        }
        if *predicate == DCT_PUBLISHER
            && quad.graph_name.as_ref() == GraphNameRef::NamedNode(subject.as_ref())
        {
            anchors.reports.insert(subject.clone());
        }
    }
    anchors
}

/// The statistics of one store, kept up to date by its writes.
pub type Statistics = Kept<Tables>;

impl Follows for Tables {
    type Touched = Anchors;
    const NAME: &'static str = "statistics";

    fn build(graph: &Graph) -> Result<Self, crate::store::StoreError> {
        Tables::build(graph)
    }

    fn touched(store: &Graph, change: &Change) -> Option<Anchors> {
        let anchors = anchors_of(store, change);
        let empty = anchors.incidents.is_empty()
            && anchors.targets.is_empty()
            && anchors.reports.is_empty();
        (!empty).then_some(anchors)
    }

    fn catch_up(&mut self, store: &Graph, anchors: &Anchors) {
        self.recount(store, anchors);
    }
}
