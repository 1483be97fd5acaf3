//! The shapes of `ontology/shapes.ttl` compiled into plain checks, for loading at speed.
//!
//! rudof's validator ([`super::Shapes`]) is general and exact, but builds an in-memory
//! store and indexes for every data graph: a few milliseconds per report, far too slow for
//! a dump of a thousand reports and a million triples. [`CompiledShapes`] covers the part
//! of SHACL Core the shapes use — node shapes with `sh:targetClass`, property shapes with
//! a predicate path, and `sh:class`, `sh:datatype`, `sh:nodeKind`, `sh:in`, `sh:or`,
//! `sh:maxLength`, `sh:minCount`, `sh:maxCount`, `sh:languageIn`, `sh:uniqueLang`,
//! `sh:message` — and
//! refuses to compile shapes that use anything else, so it never silently checks less
//! than the shapes say. Its answers are the same violations as rudof's (focus node, path,
//! constraint component, value); the tests compare the two on valid and broken data.

use super::{ValidateError, Violation, compare, short_iri};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{
    Graph as RdfGraph, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term,
    TermRef, Triple,
};
use std::collections::{HashMap, HashSet};

const SH: &str = super::SH;

fn sh(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{SH}{local}"))
}

/// One check on a value (or on the focus node itself, for a node shape).
#[derive(Debug, Clone)]
enum Check {
    Class(NamedNode),
    Datatype(NamedNode),
    NodeKindIri,
    In(Vec<Term>),
    Or(Vec<Vec<Check>>),
    LanguageIn(Vec<String>),
    /// At most this many characters in the value's string (an IRI's or a literal's
    /// lexical form); a blank node fails, as SHACL says.
    MaxLength(usize),
}

impl Check {
    fn component(&self) -> &'static str {
        match self {
            Self::Class(_) => "ClassConstraintComponent",
            Self::Datatype(_) => "DatatypeConstraintComponent",
            Self::NodeKindIri => "NodeKindConstraintComponent",
            Self::In(_) => "InConstraintComponent",
            Self::Or(_) => "OrConstraintComponent",
            Self::LanguageIn(_) => "LanguageInConstraintComponent",
            Self::MaxLength(_) => "MaxLengthConstraintComponent",
        }
    }
}

#[derive(Debug, Clone)]
struct PropertyShape {
    id: String,
    path: NamedNode,
    min: Option<usize>,
    max: Option<usize>,
    unique_lang: bool,
    checks: Vec<Check>,
    message: Option<String>,
}

#[derive(Debug, Clone)]
struct NodeShape {
    id: String,
    targets: Vec<NamedNode>,
    checks: Vec<Check>,
    properties: Vec<usize>,
    message: Option<String>,
}

/// The shapes, compiled.
#[derive(Debug, Clone)]
pub struct CompiledShapes {
    nodes: Vec<NodeShape>,
    properties: Vec<PropertyShape>,
}

impl CompiledShapes {
    /// The bundled shapes (`ontology/shapes.ttl`).
    pub fn bundled() -> Result<Self, ValidateError> {
        Self::parse(super::bundled_shapes()?)
    }

    /// Compiles a shapes graph written in Turtle; shapes using a SHACL feature this
    /// compiler does not cover are refused (use [`super::Shapes`] for those).
    pub fn parse(turtle: &str) -> Result<Self, ValidateError> {
        let mut graph = RdfGraph::new();
        for triple in RdfParser::from_format(RdfFormat::Turtle).for_slice(turtle.as_bytes()) {
            let triple = triple.map_err(|error| ValidateError::Shapes(error.to_string()))?;
            graph.insert(&Triple::from(triple));
        }
        Compiler {
            graph: &graph,
            properties: Vec::new(),
            property_ids: HashMap::new(),
        }
        .compile()
    }

    /// Validates a data graph; the same answer as [`super::Shapes::validate`].
    pub fn validate(&self, triples: &[Triple]) -> Vec<Violation> {
        let data = Data::new(triples);
        let mut violations = Vec::new();
        for shape in &self.nodes {
            let mut focus_nodes: Vec<&NamedOrBlankNode> = Vec::new();
            let mut seen = HashSet::new();
            for target in &shape.targets {
                for node in data.instances_of(target) {
                    if seen.insert(node) {
                        focus_nodes.push(node);
                    }
                }
            }
            for focus in focus_nodes {
                let focus_term: Term = focus.clone().into();
                for check in &shape.checks {
                    if !data.passes(check, focus_term.as_ref()) {
                        violations.push(violation(
                            focus,
                            None,
                            &shape.id,
                            shape.message.as_deref(),
                            check.component(),
                            Some(focus_term.as_ref()),
                        ));
                    }
                }
                for property in shape
                    .properties
                    .iter()
                    .map(|index| &self.properties[*index])
                {
                    self.check_property(&data, focus, property, &mut violations);
                }
            }
        }
        violations.sort_by(compare);
        violations.dedup();
        violations
    }

    fn check_property(
        &self,
        data: &Data<'_>,
        focus: &NamedOrBlankNode,
        property: &PropertyShape,
        violations: &mut Vec<Violation>,
    ) {
        let values = data.values(focus, property.path.as_ref());
        let path = Some(property.path.as_str());
        let mut report = |component: &str, value: Option<TermRef<'_>>| {
            violations.push(violation(
                focus,
                path,
                &property.id,
                property.message.as_deref(),
                component,
                value,
            ));
        };
        if let Some(min) = property.min
            && values.len() < min
        {
            report("MinCountConstraintComponent", None);
        }
        if let Some(max) = property.max
            && values.len() > max
        {
            report("MaxCountConstraintComponent", None);
        }
        for value in &values {
            for check in &property.checks {
                if !data.passes(check, *value) {
                    report(check.component(), Some(*value));
                }
            }
        }
        if property.unique_lang {
            let mut languages: HashMap<&str, usize> = HashMap::new();
            for value in &values {
                if let TermRef::Literal(literal) = value
                    && let Some(language) = literal.language()
                {
                    *languages.entry(language).or_default() += 1;
                }
            }
            let mut repeated: Vec<&str> = languages
                .into_iter()
                .filter(|(_, count)| *count > 1)
                .map(|(language, _)| language)
                .collect();
            repeated.sort_unstable();
            for _ in repeated {
                report("UniqueLangConstraintComponent", None);
            }
        }
    }
}

fn violation(
    focus: &NamedOrBlankNode,
    path: Option<&str>,
    shape: &str,
    message: Option<&str>,
    component: &str,
    value: Option<TermRef<'_>>,
) -> Violation {
    let mut detail = short_iri(&format!("{SH}{component}"));
    if let Some(value) = value {
        detail.push_str(", value ");
        detail.push_str(&display(value));
    }
    Violation {
        focus: match focus {
            NamedOrBlankNode::NamedNode(node) => node.as_str().to_owned(),
            NamedOrBlankNode::BlankNode(node) => format!("_:{}", node.as_str()),
        },
        path: path.map(str::to_owned),
        message: match message {
            Some(message) => format!("{message} ({detail})"),
            None => detail,
        },
        severity: "Violation".into(),
        shape: Some(shape.to_owned()),
    }
}

/// A value as rudof's reports show it: IRIs bare, literals in N-Triples form.
fn display(term: TermRef<'_>) -> String {
    match term {
        TermRef::NamedNode(node) => node.as_str().to_owned(),
        other => other.to_string(),
    }
}

/// The data graph, indexed by subject, with the class hierarchy.
struct Data<'a> {
    by_subject: HashMap<&'a NamedOrBlankNode, Vec<(&'a NamedNode, &'a Term)>>,
    instances: HashMap<&'a NamedNode, Vec<&'a NamedOrBlankNode>>,
    types: HashMap<NamedOrBlankNodeRef<'a>, Vec<&'a NamedNode>>,
    superclasses: HashMap<&'a NamedNode, Vec<&'a NamedNode>>,
}

impl<'a> Data<'a> {
    fn new(triples: &'a [Triple]) -> Self {
        let mut data = Self {
            by_subject: HashMap::new(),
            instances: HashMap::new(),
            types: HashMap::new(),
            superclasses: HashMap::new(),
        };
        let mut seen: HashSet<&Triple> = HashSet::with_capacity(triples.len());
        for triple in triples {
            if !seen.insert(triple) {
                continue;
            }
            data.by_subject
                .entry(&triple.subject)
                .or_default()
                .push((&triple.predicate, &triple.object));
            if triple.predicate == rdf::TYPE
                && let Term::NamedNode(class) = &triple.object
            {
                data.instances
                    .entry(class)
                    .or_default()
                    .push(&triple.subject);
                data.types
                    .entry(triple.subject.as_ref())
                    .or_default()
                    .push(class);
            }
            if triple.predicate == rdfs::SUB_CLASS_OF
                && let (NamedOrBlankNode::NamedNode(class), Term::NamedNode(superclass)) =
                    (&triple.subject, &triple.object)
            {
                data.superclasses.entry(class).or_default().push(superclass);
            }
        }
        data
    }

    /// The classes `class` is a subclass of (itself included), transitively.
    fn is_subclass(&self, class: &NamedNode, of: &NamedNode) -> bool {
        let mut stack = vec![class];
        let mut seen = HashSet::new();
        while let Some(class) = stack.pop() {
            if class == of {
                return true;
            }
            if seen.insert(class)
                && let Some(superclasses) = self.superclasses.get(class)
            {
                stack.extend(superclasses.iter().copied());
            }
        }
        false
    }

    /// The nodes typed with `class` or one of its subclasses.
    fn instances_of(&self, class: &NamedNode) -> Vec<&'a NamedOrBlankNode> {
        let mut nodes = Vec::new();
        for (typed, instances) in &self.instances {
            if self.is_subclass(typed, class) {
                nodes.extend(instances.iter().copied());
            }
        }
        nodes
    }

    fn values(&self, focus: &NamedOrBlankNode, path: NamedNodeRef<'_>) -> Vec<TermRef<'a>> {
        self.by_subject
            .get(focus)
            .map(|pairs| {
                pairs
                    .iter()
                    .filter(|(predicate, _)| predicate.as_ref() == path)
                    .map(|(_, object)| object.as_ref())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn is_instance(&self, node: TermRef<'_>, class: &NamedNode) -> bool {
        let node = match node {
            TermRef::NamedNode(node) => NamedOrBlankNodeRef::NamedNode(node),
            TermRef::BlankNode(node) => NamedOrBlankNodeRef::BlankNode(node),
            _ => return false,
        };
        self.types
            .get(&node)
            .is_some_and(|types| types.iter().any(|typed| self.is_subclass(typed, class)))
    }

    fn passes(&self, check: &Check, value: TermRef<'_>) -> bool {
        match check {
            Check::Class(class) => self.is_instance(value, class),
            Check::Datatype(datatype) => {
                matches!(value, TermRef::Literal(literal) if literal.datatype() == datatype.as_ref())
            }
            Check::NodeKindIri => matches!(value, TermRef::NamedNode(_)),
            Check::In(allowed) => allowed.iter().any(|term| term.as_ref() == value),
            Check::Or(alternatives) => alternatives
                .iter()
                .any(|checks| checks.iter().all(|check| self.passes(check, value))),
            Check::MaxLength(most) => match value {
                TermRef::Literal(literal) => literal.value().chars().count() <= *most,
                TermRef::NamedNode(node) => node.as_str().chars().count() <= *most,
                _ => false,
            },
            Check::LanguageIn(languages) => match value {
                TermRef::Literal(literal) => literal
                    .language()
                    .is_some_and(|tag| languages.iter().any(|range| language_matches(tag, range))),
                _ => false,
            },
        }
    }
}

/// SPARQL's `langMatches` for a basic range: `en` matches `en` and `en-GB`.
fn language_matches(tag: &str, range: &str) -> bool {
    range == "*"
        || tag.eq_ignore_ascii_case(range)
        || (tag.len() > range.len()
            && tag.as_bytes()[range.len()] == b'-'
            && tag[..range.len()].eq_ignore_ascii_case(range))
}

struct Compiler<'g> {
    graph: &'g RdfGraph,
    properties: Vec<PropertyShape>,
    property_ids: HashMap<NamedOrBlankNode, usize>,
}

impl Compiler<'_> {
    fn compile(mut self) -> Result<CompiledShapes, ValidateError> {
        let mut shape_nodes: Vec<NamedOrBlankNode> = self
            .graph
            .triples_for_predicate(sh("targetClass").as_ref())
            .map(|triple| triple.subject.into_owned())
            .collect();
        shape_nodes.sort_by_key(ToString::to_string);
        shape_nodes.dedup();
        let mut nodes = Vec::new();
        for node in &shape_nodes {
            nodes.push(self.node_shape(node)?);
        }
        Ok(CompiledShapes {
            nodes,
            properties: self.properties,
        })
    }

    fn objects(&self, subject: &NamedOrBlankNode, predicate: &str) -> Vec<Term> {
        self.graph
            .objects_for_subject_predicate(subject.as_ref(), sh(predicate).as_ref())
            .map(TermRef::into_owned)
            .collect()
    }

    fn one(&self, subject: &NamedOrBlankNode, predicate: &str) -> Option<Term> {
        self.objects(subject, predicate).into_iter().next()
    }

    /// Refuses a shape node that uses a SHACL term this compiler does not know.
    fn check_known(&self, subject: &NamedOrBlankNode, known: &[&str]) -> Result<(), ValidateError> {
        for triple in self.graph.triples_for_subject(subject.as_ref()) {
            if let Some(local) = triple.predicate.as_str().strip_prefix(SH)
                && !known.contains(&local)
            {
                return Err(ValidateError::Shapes(format!(
                    "sh:{local} on {subject} is not covered by the compiled validator"
                )));
            }
        }
        Ok(())
    }

    fn node_shape(&mut self, node: &NamedOrBlankNode) -> Result<NodeShape, ValidateError> {
        self.check_known(
            node,
            &[
                "targetClass",
                "property",
                "message",
                "class",
                "nodeKind",
                "datatype",
                "in",
                "or",
            ],
        )?;
        let targets = self
            .objects(node, "targetClass")
            .into_iter()
            .filter_map(|term| match term {
                Term::NamedNode(class) => Some(class),
                _ => None,
            })
            .collect();
        let mut properties = Vec::new();
        for property in self.objects(node, "property") {
            let property = as_node(&property)?;
            properties.push(self.property_shape(&property)?);
        }
        Ok(NodeShape {
            id: shape_id(node),
            targets,
            checks: self.checks(node)?,
            properties,
            message: self.message(node),
        })
    }

    fn property_shape(&mut self, node: &NamedOrBlankNode) -> Result<usize, ValidateError> {
        if let Some(index) = self.property_ids.get(node) {
            return Ok(*index);
        }
        self.check_known(
            node,
            &[
                "path",
                "minCount",
                "maxCount",
                "uniqueLang",
                "languageIn",
                "maxLength",
                "message",
                "class",
                "nodeKind",
                "datatype",
                "in",
                "or",
            ],
        )?;
        let Some(Term::NamedNode(path)) = self.one(node, "path") else {
            return Err(ValidateError::Shapes(format!(
                "{node}: only predicate paths are covered by the compiled validator"
            )));
        };
        let count = |term: Option<Term>| -> Result<Option<usize>, ValidateError> {
            term.map(|term| match term {
                Term::Literal(literal) => literal.value().parse().map_err(|_| {
                    ValidateError::Shapes(format!("{node}: a count must be an integer"))
                }),
                _ => Err(ValidateError::Shapes(format!(
                    "{node}: a count must be an integer"
                ))),
            })
            .transpose()
        };
        let mut checks = self.checks(node)?;
        let languages = match self.one(node, "languageIn") {
            Some(list) => Some(
                self.list(&list)?
                    .into_iter()
                    .map(|term| match term {
                        Term::Literal(literal) => Ok(literal.value().to_owned()),
                        _ => Err(ValidateError::Shapes(format!(
                            "{node}: sh:languageIn takes language tags"
                        ))),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        if let Some(languages) = languages {
            checks.push(Check::LanguageIn(languages));
        }
        if let Some(most) = count(self.one(node, "maxLength"))? {
            checks.push(Check::MaxLength(most));
        }
        let shape = PropertyShape {
            id: shape_id(node),
            path,
            min: count(self.one(node, "minCount"))?,
            max: count(self.one(node, "maxCount"))?,
            unique_lang: matches!(self.one(node, "uniqueLang"), Some(Term::Literal(literal)) if literal.value() == "true"),
            checks,
            message: self.message(node),
        };
        self.properties.push(shape);
        let index = self.properties.len() - 1;
        self.property_ids.insert(node.clone(), index);
        Ok(index)
    }

    /// The value checks of a shape node: class, datatype, nodeKind, in, or.
    fn checks(&self, node: &NamedOrBlankNode) -> Result<Vec<Check>, ValidateError> {
        let mut checks = Vec::new();
        for class in self.objects(node, "class") {
            checks.push(Check::Class(as_iri(&class)?));
        }
        for datatype in self.objects(node, "datatype") {
            checks.push(Check::Datatype(as_iri(&datatype)?));
        }
        for kind in self.objects(node, "nodeKind") {
            if kind != Term::from(sh("IRI")) {
                return Err(ValidateError::Shapes(format!(
                    "{node}: only sh:nodeKind sh:IRI is covered by the compiled validator"
                )));
            }
            checks.push(Check::NodeKindIri);
        }
        for list in self.objects(node, "in") {
            checks.push(Check::In(self.list(&list)?));
        }
        for list in self.objects(node, "or") {
            let mut alternatives = Vec::new();
            for alternative in self.list(&list)? {
                let alternative = as_node(&alternative)?;
                self.check_known(&alternative, &["class", "datatype", "nodeKind", "in"])?;
                alternatives.push(self.checks(&alternative)?);
            }
            checks.push(Check::Or(alternatives));
        }
        Ok(checks)
    }

    fn message(&self, node: &NamedOrBlankNode) -> Option<String> {
        let messages: Vec<(String, String)> = self
            .objects(node, "message")
            .into_iter()
            .filter_map(|term| match term {
                Term::Literal(literal) => Some((
                    literal.language().unwrap_or_default().to_owned(),
                    literal.value().to_owned(),
                )),
                _ => None,
            })
            .collect();
        messages
            .iter()
            .find(|(language, _)| language.is_empty())
            .or_else(|| messages.iter().find(|(language, _)| language == "en"))
            .or_else(|| messages.first())
            .map(|(_, message)| message.clone())
    }

    /// The members of an RDF list.
    fn list(&self, head: &Term) -> Result<Vec<Term>, ValidateError> {
        let mut members = Vec::new();
        let mut node = head.clone();
        while node != Term::from(rdf::NIL.into_owned()) {
            let subject = as_node(&node)?;
            let first = self
                .graph
                .object_for_subject_predicate(subject.as_ref(), rdf::FIRST)
                .ok_or_else(|| ValidateError::Shapes(format!("{subject}: a broken RDF list")))?;
            members.push(first.into_owned());
            node = self
                .graph
                .object_for_subject_predicate(subject.as_ref(), rdf::REST)
                .ok_or_else(|| ValidateError::Shapes(format!("{subject}: a broken RDF list")))?
                .into_owned();
            if members.len() > 10_000 {
                return Err(ValidateError::Shapes("an RDF list without end".into()));
            }
        }
        Ok(members)
    }
}

fn as_node(term: &Term) -> Result<NamedOrBlankNode, ValidateError> {
    match term {
        Term::NamedNode(node) => Ok(node.clone().into()),
        Term::BlankNode(node) => Ok(node.clone().into()),
        other => Err(ValidateError::Shapes(format!("{other} is not a shape"))),
    }
}

fn as_iri(term: &Term) -> Result<NamedNode, ValidateError> {
    match term {
        Term::NamedNode(node) => Ok(node.clone()),
        other => Err(ValidateError::Shapes(format!("{other} is not an IRI"))),
    }
}

fn shape_id(node: &NamedOrBlankNode) -> String {
    match node {
        NamedOrBlankNode::NamedNode(node) => node.as_str().to_owned(),
        NamedOrBlankNode::BlankNode(node) => format!("_:{}", node.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_shapes_compile() {
        let shapes = CompiledShapes::bundled().unwrap();
        assert!(shapes.nodes.len() >= 20);
    }

    #[test]
    fn a_feature_outside_the_covered_part_is_refused() {
        let turtle = "@prefix sh: <http://www.w3.org/ns/shacl#> .
            <http://e/S> sh:targetClass <http://e/C> ; sh:property [ sh:path <http://e/p> ; sh:pattern \"^a\" ] .";
        let error = CompiledShapes::parse(turtle).unwrap_err();
        assert!(error.to_string().contains("sh:pattern"), "{error}");
    }

    #[test]
    fn language_ranges_match_subtags() {
        assert!(language_matches("en", "en"));
        assert!(language_matches("en-GB", "en"));
        assert!(!language_matches("eng", "en"));
        assert!(!language_matches("nl", "en"));
    }
}
