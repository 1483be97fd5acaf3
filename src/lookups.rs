//! The SPARQL the crate runs itself (pages, claims, the search index), in `src/lookups/*.rq`,
//! each file parsed once.
//!
//! A lookup's parameters are variables of its file. [`Lookup::prepare`] binds them by
//! rewriting the parsed query, every occurrence of the variable becoming the given term,
//! so that the optimizer sees a constant, exactly as if it had been written in the text:
//! a bound subject or graph is an index lookup, never a scan. A value can only ever be a
//! term in a position the file gave it; it cannot change the query's shape.
//!
//! ```
//! use oxigraph::model::NamedNode;
//! use spyatlas::lookups;
//! use spyatlas::store::Graph;
//!
//! let graph = spyatlas::ingest::seed::in_memory_with_bundled()?;
//! let luca = NamedNode::new("https://w3id.org/spyatlas/id/luca-casarini")?;
//! assert!(lookups::ENTITY_EXISTS.ask(&graph, &[("entity", luca.into())])?);
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

use crate::store::{Dataset, Graph, StoreError};
use oxigraph::model::{Literal, NamedNode, Term, Variable};
use oxigraph::sparql::{QueryResults, QuerySolution};
use spargebra::algebra::{AggregateExpression, Expression, GraphPattern, OrderExpression};
use spargebra::term::{NamedNodePattern, TermPattern, TriplePattern};
use spargebra::{Query, SparqlParser};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One row of a SELECT answer, by variable name.
pub type Row = HashMap<String, Term>;

/// A query of `src/lookups/`, parsed on first use.
pub struct Lookup {
    file: &'static str,
    text: &'static str,
    parsed: OnceLock<Query>,
}

macro_rules! lookups {
    ($($(#[$doc:meta])* $name:ident = $file:literal;)*) => {
        $(
            $(#[$doc])*
            pub static $name: Lookup = Lookup::new($file, include_str!(concat!("lookups/", $file)));
        )*
        /// Every lookup, for the tests that parse them all.
        pub static ALL: &[&Lookup] = &[$(&$name),*];
    };
}

lookups! {
    /// `?entity`'s statements in every graph as subject (`?direction` "out").
    NEIGHBOURHOOD = "neighbourhood.rq";
    /// `?entity`'s statements in every graph as object (`?direction` "in"), a hub's
    /// first 600 of 5,000 in a fixed order.
    NEIGHBOURHOOD_IN = "neighbourhood_in.rq";
    /// The status, dates and quoted passages a claim `?claim` has in each graph.
    CLAIM_STATUS_AND_DATES = "claim_status_and_dates.rq";
    /// The passages each graph quotes for a claim `?claim`.
    QUOTES = "quotes.rq";
    /// A report `?report`'s publisher, date and address.
    REPORT_SOURCE = "report_source.rq";
    /// The spyatlas entities next to `?neighbour`, other than `?entity`.
    SECOND_HOP = "second_hop.rq";
    /// What the graph of report `?report` links, other than the report itself.
    REPORT_LINKS = "report_links.rq";
    /// Every loaded report, newest first, named in `?language`, else English, else any.
    LATEST_REPORTS = "latest_reports.rq";
    /// Every loaded report with its metadata; `?report` picks one.
    REPORT_LISTING = "report_listing.rq";
    /// Each revision of report `?report`, newest first, with the account that loaded it.
    REPORT_REVISIONS = "report_revisions.rq";
    /// Whether any graph says anything about `?entity`.
    ENTITY_EXISTS = "entity_exists.rq";
    /// The ontology's classes and properties, with English labels, comments, domains
    /// and ranges.
    ONTOLOGY_TERMS = "ontology_terms.rq";
    /// Whether the store holds any `sa:Assertion`.
    ANY_ASSERTION = "any_assertion.rq";
    /// `?subject`'s own status in each graph, and the assertions reifying its links.
    OWN_STATUS_AND_ASSERTIONS = "own_status_and_assertions.rq";
    /// The claims linking `?subject` by `?toSubject` and `?object` by `?toObject`, with
    /// their status.
    CLAIMS_BESIDE = "claims_beside.rq";
    /// Every label, alias and class statement, in every graph and the default graph.
    NAMES_AND_CLASSES = "names_and_classes.rq";
    /// The STIX names of the ontology's classes and properties (ontology/alignments.ttl).
    STIX_ALIGNMENTS = "stix_alignments.rq";
}

impl Lookup {
    const fn new(file: &'static str, text: &'static str) -> Self {
        Self {
            file,
            text,
            parsed: OnceLock::new(),
        }
    }

    /// The file's name in `src/lookups/`.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The parsed query; the unit tests parse every file, so a failure here is a build
    /// defect.
    pub fn parsed(&self) -> &Query {
        self.parsed.get_or_init(|| {
            SparqlParser::new()
                .parse_query(self.text)
                .unwrap_or_else(|error| panic!("src/lookups/{}: {error}", self.file))
        })
    }

    /// The query with each `(variable, term)` bound, for evaluation under the current
    /// request's deadline (see [`Graph::evaluator`]).
    pub fn prepare(&self, bindings: &[(&str, Term)]) -> Query {
        let bindings: HashMap<Variable, Term> = bindings
            .iter()
            .map(|(name, term)| (Variable::new_unchecked(*name), term.clone()))
            .collect();
        bind_query(self.parsed(), &bindings)
    }

    /// The rows of a SELECT lookup, at most `limit` of them.
    pub fn rows(
        &self,
        graph: &Graph,
        bindings: &[(&str, Term)],
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        let mut rows = Vec::new();
        self.for_each(graph, bindings, |solution| {
            rows.push(
                solution
                    .iter()
                    .map(|(variable, term)| (variable.as_str().to_owned(), term.clone()))
                    .collect(),
            );
            rows.len() < limit
        })?;
        Ok(rows)
    }

    /// Calls `take` with each solution of a SELECT lookup as it is read, until it answers
    /// false.
    pub fn for_each(
        &self,
        graph: &Graph,
        bindings: &[(&str, Term)],
        mut take: impl FnMut(&QuerySolution) -> bool,
    ) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let QueryResults::Solutions(solutions) =
            graph.query(self.prepare(bindings), Dataset::Stored)?
        else {
            panic!("src/lookups/{} is not a SELECT query", self.file);
        };
        for solution in solutions {
            if !take(&solution?) {
                break;
            }
        }
        tracing::trace!(elapsed = ?started.elapsed(), file = self.file, "lookup");
        Ok(())
    }

    /// The answer of an ASK lookup.
    pub fn ask(&self, graph: &Graph, bindings: &[(&str, Term)]) -> Result<bool, StoreError> {
        match graph.query(self.prepare(bindings), Dataset::Stored)? {
            QueryResults::Boolean(answer) => Ok(answer),
            _ => panic!("src/lookups/{} is not an ASK query", self.file),
        }
    }
}

/// An IRI as a term to bind, from a string already known to be an IRI (read from the
/// store or built from a checked slug).
pub fn iri(iri: &str) -> Term {
    NamedNode::new_unchecked(iri).into()
}

pub(crate) fn bind_query(query: &Query, bindings: &HashMap<Variable, Term>) -> Query {
    let mut query = query.clone();
    match &mut query {
        Query::Select { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. }
        | Query::Ask { pattern, .. } => *pattern = bind_pattern(pattern, bindings),
    }
    query
}

/// `pattern` with every bound variable replaced by its term. A projected variable that is
/// bound stays in the answer, its value given by a `BIND` under the projection; a bound
/// variable leaves any `GROUP BY` list (it is one value).
fn bind_pattern(pattern: &GraphPattern, bindings: &HashMap<Variable, Term>) -> GraphPattern {
    let inner = |pattern: &GraphPattern| Box::new(bind_pattern(pattern, bindings));
    let expression = |expression: &Expression| bind_expression(expression, bindings);
    match pattern {
        GraphPattern::Bgp { patterns } => GraphPattern::Bgp {
            patterns: patterns
                .iter()
                .map(|triple| TriplePattern {
                    subject: bind_term(&triple.subject, bindings),
                    predicate: bind_named_node(&triple.predicate, bindings),
                    object: bind_term(&triple.object, bindings),
                })
                .collect(),
        },
        GraphPattern::Path {
            subject,
            path,
            object,
        } => GraphPattern::Path {
            subject: bind_term(subject, bindings),
            path: path.clone(),
            object: bind_term(object, bindings),
        },
        GraphPattern::Join { left, right } => GraphPattern::Join {
            left: inner(left),
            right: inner(right),
        },
        GraphPattern::LeftJoin {
            left,
            right,
            expression: condition,
        } => GraphPattern::LeftJoin {
            left: inner(left),
            right: inner(right),
            expression: condition.as_ref().map(expression),
        },
        GraphPattern::Lateral { left, right } => GraphPattern::Lateral {
            left: inner(left),
            right: inner(right),
        },
        GraphPattern::Filter { expr, inner: child } => GraphPattern::Filter {
            expr: expression(expr),
            inner: inner(child),
        },
        GraphPattern::Union { left, right } => GraphPattern::Union {
            left: inner(left),
            right: inner(right),
        },
        GraphPattern::Graph { name, inner: child } => GraphPattern::Graph {
            name: bind_named_node(name, bindings),
            inner: inner(child),
        },
        GraphPattern::Extend {
            inner: child,
            variable,
            expression: value,
        } => GraphPattern::Extend {
            inner: inner(child),
            variable: variable.clone(),
            expression: expression(value),
        },
        GraphPattern::Minus { left, right } => GraphPattern::Minus {
            left: inner(left),
            right: inner(right),
        },
        GraphPattern::OrderBy {
            inner: child,
            expression: order,
        } => GraphPattern::OrderBy {
            inner: inner(child),
            expression: order
                .iter()
                .map(|order| match order {
                    OrderExpression::Asc(value) => OrderExpression::Asc(expression(value)),
                    OrderExpression::Desc(value) => OrderExpression::Desc(expression(value)),
                })
                .collect(),
        },
        GraphPattern::Project {
            inner: child,
            variables,
        } => {
            let mut child = bind_pattern(child, bindings);
            for variable in variables {
                if let Some(term) = bindings.get(variable) {
                    child = GraphPattern::Extend {
                        inner: Box::new(child),
                        variable: variable.clone(),
                        expression: constant(term),
                    };
                }
            }
            GraphPattern::Project {
                inner: Box::new(child),
                variables: variables.clone(),
            }
        }
        GraphPattern::Distinct { inner: child } => GraphPattern::Distinct {
            inner: inner(child),
        },
        GraphPattern::Reduced { inner: child } => GraphPattern::Reduced {
            inner: inner(child),
        },
        GraphPattern::Slice {
            inner: child,
            start,
            length,
        } => GraphPattern::Slice {
            inner: inner(child),
            start: *start,
            length: *length,
        },
        GraphPattern::Group {
            inner: child,
            variables,
            aggregates,
        } => GraphPattern::Group {
            inner: inner(child),
            variables: variables
                .iter()
                .filter(|variable| !bindings.contains_key(*variable))
                .cloned()
                .collect(),
            aggregates: aggregates
                .iter()
                .map(|(variable, aggregate)| {
                    let aggregate = match aggregate {
                        AggregateExpression::FunctionCall {
                            name,
                            expr,
                            distinct,
                        } => AggregateExpression::FunctionCall {
                            name: name.clone(),
                            expr: expression(expr),
                            distinct: *distinct,
                        },
                        AggregateExpression::CountSolutions { distinct } => {
                            AggregateExpression::CountSolutions {
                                distinct: *distinct,
                            }
                        }
                    };
                    (variable.clone(), aggregate)
                })
                .collect(),
        },
        // VALUES and SERVICE keep their own variables: a lookup binds none there.
        other => other.clone(),
    }
}

fn bind_expression(expression: &Expression, bindings: &HashMap<Variable, Term>) -> Expression {
    let each = |expression: &Expression| Box::new(bind_expression(expression, bindings));
    let all = |expressions: &[Expression]| {
        expressions
            .iter()
            .map(|expression| bind_expression(expression, bindings))
            .collect()
    };
    match expression {
        Expression::Variable(variable) => bindings
            .get(variable)
            .map_or_else(|| expression.clone(), constant),
        Expression::Bound(variable) if bindings.contains_key(variable) => {
            Expression::Literal(Literal::from(true))
        }
        Expression::Or(a, b) => Expression::Or(each(a), each(b)),
        Expression::And(a, b) => Expression::And(each(a), each(b)),
        Expression::Equal(a, b) => Expression::Equal(each(a), each(b)),
        Expression::SameTerm(a, b) => Expression::SameTerm(each(a), each(b)),
        Expression::Greater(a, b) => Expression::Greater(each(a), each(b)),
        Expression::GreaterOrEqual(a, b) => Expression::GreaterOrEqual(each(a), each(b)),
        Expression::Less(a, b) => Expression::Less(each(a), each(b)),
        Expression::LessOrEqual(a, b) => Expression::LessOrEqual(each(a), each(b)),
        Expression::In(a, list) => Expression::In(each(a), all(list)),
        Expression::Add(a, b) => Expression::Add(each(a), each(b)),
        Expression::Subtract(a, b) => Expression::Subtract(each(a), each(b)),
        Expression::Multiply(a, b) => Expression::Multiply(each(a), each(b)),
        Expression::Divide(a, b) => Expression::Divide(each(a), each(b)),
        Expression::UnaryPlus(a) => Expression::UnaryPlus(each(a)),
        Expression::UnaryMinus(a) => Expression::UnaryMinus(each(a)),
        Expression::Not(a) => Expression::Not(each(a)),
        Expression::Exists(pattern) => {
            Expression::Exists(Box::new(bind_pattern(pattern, bindings)))
        }
        Expression::If(a, b, c) => Expression::If(each(a), each(b), each(c)),
        Expression::Coalesce(list) => Expression::Coalesce(all(list)),
        Expression::FunctionCall(function, arguments) => {
            Expression::FunctionCall(function.clone(), all(arguments))
        }
        other => other.clone(),
    }
}

fn constant(term: &Term) -> Expression {
    match term {
        Term::NamedNode(node) => Expression::NamedNode(node.clone()),
        Term::Literal(literal) => Expression::Literal(literal.clone()),
        other => panic!("a lookup binds IRIs and literals only, not {other}"),
    }
}

fn bind_term(term: &TermPattern, bindings: &HashMap<Variable, Term>) -> TermPattern {
    match term {
        TermPattern::Variable(variable) => match bindings.get(variable) {
            Some(Term::NamedNode(node)) => TermPattern::NamedNode(node.clone()),
            Some(Term::Literal(literal)) => TermPattern::Literal(literal.clone()),
            Some(other) => panic!("a lookup binds IRIs and literals only, not {other}"),
            None => term.clone(),
        },
        other => other.clone(),
    }
}

fn bind_named_node(
    pattern: &NamedNodePattern,
    bindings: &HashMap<Variable, Term>,
) -> NamedNodePattern {
    match pattern {
        NamedNodePattern::Variable(variable) => match bindings.get(variable) {
            Some(Term::NamedNode(node)) => NamedNodePattern::NamedNode(node.clone()),
            Some(other) => panic!("{variable} names a graph or property: bind an IRI, not {other}"),
            None => pattern.clone(),
        },
        named => named.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lookup_parses() {
        for lookup in ALL {
            SparqlParser::new()
                .parse_query(lookup.text)
                .unwrap_or_else(|error| panic!("src/lookups/{}: {error}", lookup.file));
        }
    }

    /// A bound variable is written into the query as a constant, everywhere it occurs.
    #[test]
    fn binding_writes_the_term_into_the_query() {
        let lookup = Lookup::new(
            "test.rq",
            "SELECT ?s ?n WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?o != ?s && BOUND(?s)) \
             OPTIONAL { ?s <http://example.org/n> ?n } } ORDER BY ?s",
        );
        let x = iri("http://example.org/x");
        let bound = bind_query(
            lookup.parsed(),
            &HashMap::from([(Variable::new_unchecked("s"), x)]),
        )
        .to_string();
        assert!(!bound.contains("?s ?p"), "{bound}");
        assert!(
            bound.contains("GRAPH ?g { <http://example.org/x> ?p ?o . }"),
            "{bound}"
        );
        assert!(bound.contains("(<http://example.org/x> AS ?s)"), "{bound}");
        assert!(bound.contains("?o = <http://example.org/x>"), "{bound}");
    }

    #[test]
    fn a_bound_projected_variable_keeps_its_value_in_the_answer() {
        let graph = crate::ingest::seed::in_memory_with_bundled().unwrap();
        // Bound, projected and grouped by: the grouping leaves it, the answer keeps it.
        let seed = iri(
            "https://w3id.org/spyatlas/report/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack",
        );
        let rows = REPORT_LISTING
            .rows(&graph, &[("report", seed.clone())], 10)
            .unwrap();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|row| row.get("report") == Some(&seed)));
        assert!(rows.iter().any(|row| matches!(
            row.get("label"),
            Some(Term::Literal(l)) if l.value() == "Italy: Belgian numbers targeted in Israeli WhatsApp hack"
        )));
    }

    #[test]
    fn a_string_cannot_change_a_lookups_shape() {
        let graph = crate::ingest::seed::in_memory_with_bundled().unwrap();
        // Text that would close a literal and add a pattern, were it spliced in.
        let hostile: Term = Literal::new_simple_literal("en\") } UNION { ?e ?p ?o } #").into();
        let rows = LATEST_REPORTS
            .rows(&graph, &[("language", hostile)], 100)
            .unwrap();
        let fair = LATEST_REPORTS
            .rows(
                &graph,
                &[("language", Literal::new_simple_literal("en").into())],
                100,
            )
            .unwrap();
        assert_eq!(rows.len(), fair.len());
    }
}
