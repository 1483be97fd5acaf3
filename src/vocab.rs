//! IRIs of the spyatlas vocabulary and namespaces, in one place (like `oxrdf::vocab`).
//!
//! `ontology/spyatlas.ttl` is the source of truth; nothing else in the crate spells an IRI
//! of ours as a string literal.

use oxigraph::model::NamedNodeRef;

/// Where every IRI spyatlas mints lives: entities under `id/`, reports under `report/`.
pub const NAMESPACE: &str = "https://w3id.org/spyatlas/";
/// Entities: `https://w3id.org/spyatlas/id/{slug}`.
pub const ID_NAMESPACE: &str = "https://w3id.org/spyatlas/id/";
/// Reports, each also the name of the graph holding its claims: `https://w3id.org/spyatlas/report/{slug}`.
pub const REPORT_NAMESPACE: &str = "https://w3id.org/spyatlas/report/";
/// The ontology terms: `https://w3id.org/spyatlas/ontology#{Term}`.
pub const ONTOLOGY_NAMESPACE: &str = "https://w3id.org/spyatlas/ontology#";
/// The SHACL vocabulary, shortened to `sh:` in validation messages.
pub const SHACL_NAMESPACE: &str = "http://www.w3.org/ns/shacl#";
/// Graphs that hold bundled knowledge which is not a report.
pub const GRAPH_NAMESPACE: &str = "https://w3id.org/spyatlas/graph/";

/// The JSON-LD context of report documents (`ontology/context.jsonld`).
pub const CONTEXT_IRI: &str = "https://w3id.org/spyatlas/context.jsonld";

/// Ontology terms the code looks for by name.
pub mod term {
    /// A report's statement of one plain link, reified (`rdf:subject`, `rdf:predicate`,
    /// `rdf:object`), with a status of its own.
    pub const ASSERTION: &str = "https://w3id.org/spyatlas/ontology#Assertion";
    /// The advisory or update announcing a patch: a report entity or a web address.
    pub const ADVISORY: &str = "https://w3id.org/spyatlas/ontology#advisory";
    /// A vulnerability's CVE identifier.
    pub const CVE_ID: &str = "https://w3id.org/spyatlas/ontology#cveId";
}

/// Classes the code looks for by name.
pub mod class {
    use super::NamedNodeRef;

    /// A spyware product.
    pub const PRODUCT: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/spyatlas/ontology#Product");
}

/// A report's publisher (Dublin Core), as report documents write it.
pub const DCT_PUBLISHER: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://purl.org/dc/terms/publisher");

/// What the loader records about each loaded report, in the report's graph.
pub mod loader {
    use super::NamedNodeRef;

    /// SHA-256 of the RDFC-1.0 canonical form of the report's content.
    pub const CONTENT_HASH: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/spyatlas/ontology#contentHash");
    /// When this revision was loaded.
    pub const LOADED_AT: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/spyatlas/ontology#loadedAt");
    /// The revision number, from 1.
    pub const REVISION: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/spyatlas/ontology#revision");
    /// Triples of content.
    pub const TRIPLE_COUNT: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/spyatlas/ontology#tripleCount");
    /// The account of the server that loaded a revision (PROV-O).
    pub const WAS_ATTRIBUTED_TO: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/prov#wasAttributedTo");
}

/// Accounts of the server (named tokens), as agents that loaded report revisions:
/// `https://w3id.org/spyatlas/account/{name}`.
pub const ACCOUNT_NAMESPACE: &str = "https://w3id.org/spyatlas/account/";

/// What spyatlas keeps in a remote SPARQL store besides the knowledge (see
/// `store/remote.rs`).
pub mod remote {
    /// The graph holding the mark of the last write; never shown (quads, counts and dumps
    /// leave it out).
    pub const WRITES_GRAPH: &str = "https://w3id.org/spyatlas/graph/writes";
    /// The property holding the mark of the last write.
    pub const LAST_WRITE: &str = "https://w3id.org/spyatlas/ontology#lastWrite";
    /// The named graph that holds the default graph's quads on a remote store, whose own
    /// default graph is the union of all graphs; shown as the default graph, never by name.
    pub const DEFAULT_GRAPH: &str = "https://w3id.org/spyatlas/graph/default";
}

/// Named graphs of the bundled knowledge that is not a report.
pub mod graph {
    use super::NamedNodeRef;

    /// The OWL/RDFS vocabulary (ontology/spyatlas.ttl).
    pub const ONTOLOGY: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/spyatlas/graph/ontology");
    /// The SHACL shapes (ontology/shapes.ttl).
    pub const SHAPES: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/spyatlas/graph/shapes");
    /// Mappings to STIX, schema.org, PROV-O, FollowTheMoney (ontology/alignments.ttl).
    pub const ALIGNMENTS: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/spyatlas/graph/alignments");
    /// Reference entities that need no report: countries, platforms, their operators.
    pub const REFERENCE: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("https://w3id.org/spyatlas/graph/reference");
}

/// The SPARQL Service Description vocabulary, for the description served at `/sparql`.
pub mod sd {
    use super::NamedNodeRef;

    pub const SERVICE: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#Service");
    pub const ENDPOINT: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#endpoint");
    pub const SUPPORTED_LANGUAGE: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
        "http://www.w3.org/ns/sparql-service-description#supportedLanguage",
    );
    pub const SPARQL11_QUERY: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
        "http://www.w3.org/ns/sparql-service-description#SPARQL11Query",
    );
    pub const SPARQL11_UPDATE: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
        "http://www.w3.org/ns/sparql-service-description#SPARQL11Update",
    );
    pub const RESULT_FORMAT: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#resultFormat");
    pub const FEATURE: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#feature");
    pub const UNION_DEFAULT_GRAPH: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
        "http://www.w3.org/ns/sparql-service-description#UnionDefaultGraph",
    );
    pub const BASIC_FEDERATED_QUERY: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
        "http://www.w3.org/ns/sparql-service-description#BasicFederatedQuery",
    );
    pub const DEFAULT_DATASET: NamedNodeRef<'_> = NamedNodeRef::new_unchecked(
        "http://www.w3.org/ns/sparql-service-description#defaultDataset",
    );
    pub const DATASET: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#Dataset");
    pub const DEFAULT_GRAPH: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#defaultGraph");
    pub const GRAPH: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#Graph");
    pub const NAMED_GRAPH: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#namedGraph");
    pub const NAMED_GRAPH_CLASS: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#NamedGraph");
    pub const NAME: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#name");
    pub const GRAPH_PROPERTY: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://www.w3.org/ns/sparql-service-description#graph");
    /// JSON-LD in the W3C registry of format IRIs (oxigraph names it by another IRI).
    pub const JSON_LD_FORMAT: &str = "http://www.w3.org/ns/formats/JSON-LD";
}

/// VoID (the Vocabulary of Interlinked Datasets), for the figures of the service
/// description's dataset.
pub mod void {
    use super::NamedNodeRef;

    pub const TRIPLES: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://rdfs.org/ns/void#triples");
    pub const ENTITIES: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://rdfs.org/ns/void#entities");
    pub const CLASSES: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://rdfs.org/ns/void#classes");
    pub const PROPERTIES: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://rdfs.org/ns/void#properties");
}

/// Dublin Core terms used in the service description.
pub mod dct {
    use super::NamedNodeRef;

    pub const TITLE: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://purl.org/dc/terms/title");
    pub const DESCRIPTION: NamedNodeRef<'_> =
        NamedNodeRef::new_unchecked("http://purl.org/dc/terms/description");
}

/// Terms of other vocabularies that pages read, as IRI strings.
pub mod read {
    pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
    pub const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
    pub const RDFS_COMMENT: &str = "http://www.w3.org/2000/01/rdf-schema#comment";
    pub const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
    pub const SKOS_ALT_LABEL: &str = "http://www.w3.org/2004/02/skos/core#altLabel";
    pub const SKOS_EXACT_MATCH: &str = "http://www.w3.org/2004/02/skos/core#exactMatch";
    pub const SCHEMA_MENTIONS: &str = "http://schema.org/mentions";
    pub const SCHEMA_URL: &str = "http://schema.org/url";
    pub const DCT: &str = "http://purl.org/dc/terms/";
}

/// Returns the IRI of the entity with the given slug.
pub fn entity_iri(slug: &str) -> String {
    format!("{ID_NAMESPACE}{slug}")
}
