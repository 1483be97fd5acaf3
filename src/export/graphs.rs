//! Graphs for network analysis, and claims for spreadsheets.
//!
//! GEXF 1.3 (Gephi's own format) and GraphML: one node per entity with its `kind` and
//! `label`, one directed edge per relationship and report asserting it, with its
//! `property`, `status` (the statuses that report gives the claims asserting it, joined by
//! `|`; empty for a plain link) and `report`. Parallel edges (two reports, one
//! relationship) are kept, each with its own id. The CSV has one row per relationship and
//! report, with the report's title, publisher, date and address.

use super::Extract;
use std::fmt::Write as _;

/// Text for XML content and attribute values.
fn xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// The edge attributes of both formats: (id, title).
const EDGE_ATTRIBUTES: [(&str, &str); 4] = [
    ("property", "property"),
    ("status", "status"),
    ("report", "report"),
    ("report_title", "report title"),
];

/// GEXF 1.3.
pub fn gexf(extract: &Extract) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n");
    out.push_str("  <meta><creator>spyatlas</creator><description>Entities and the relationships reports assert between them, each with the status its report gives it</description></meta>\n");
    out.push_str("  <graph mode=\"static\" defaultedgetype=\"directed\">\n");
    out.push_str("    <attributes class=\"node\">\n");
    out.push_str("      <attribute id=\"kind\" title=\"kind\" type=\"string\"/>\n");
    out.push_str("      <attribute id=\"iri\" title=\"iri\" type=\"string\"/>\n");
    out.push_str("    </attributes>\n");
    out.push_str("    <attributes class=\"edge\">\n");
    for (id, title) in EDGE_ATTRIBUTES {
        let _ = writeln!(
            out,
            "      <attribute id=\"{id}\" title=\"{title}\" type=\"string\"/>"
        );
    }
    out.push_str("    </attributes>\n    <nodes>\n");
    for node in extract.nodes.values() {
        let _ = writeln!(
            out,
            "      <node id=\"{}\" label=\"{}\"><attvalues><attvalue for=\"kind\" value=\"{}\"/><attvalue for=\"iri\" value=\"{}\"/></attvalues></node>",
            xml(node.slug()),
            xml(&node.label),
            xml(node.kind()),
            xml(&node.iri)
        );
    }
    out.push_str("    </nodes>\n    <edges>\n");
    for (number, subject, object, edge, source) in extract.drawn_edges() {
        let _ = writeln!(
            out,
            "      <edge id=\"e{number}\" source=\"{}\" target=\"{}\" label=\"{}\"><attvalues><attvalue for=\"property\" value=\"{}\"/><attvalue for=\"status\" value=\"{}\"/><attvalue for=\"report\" value=\"{}\"/><attvalue for=\"report_title\" value=\"{}\"/></attvalues></edge>",
            xml(subject.slug()),
            xml(object.slug()),
            xml(edge.property_name()),
            xml(edge.property_name()),
            xml(&edge.statuses().join("|")),
            xml(&edge.source),
            xml(&source.label)
        );
    }
    out.push_str("    </edges>\n  </graph>\n</gexf>\n");
    out
}

/// GraphML.
pub fn graphml(extract: &Extract) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n");
    out.push_str("  <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n");
    out.push_str("  <key id=\"kind\" for=\"node\" attr.name=\"kind\" attr.type=\"string\"/>\n");
    out.push_str("  <key id=\"iri\" for=\"node\" attr.name=\"iri\" attr.type=\"string\"/>\n");
    for (id, _) in EDGE_ATTRIBUTES {
        let _ = writeln!(
            out,
            "  <key id=\"{id}\" for=\"edge\" attr.name=\"{id}\" attr.type=\"string\"/>"
        );
    }
    out.push_str("  <graph id=\"spyatlas\" edgedefault=\"directed\">\n");
    for node in extract.nodes.values() {
        let _ = writeln!(
            out,
            "    <node id=\"{}\"><data key=\"label\">{}</data><data key=\"kind\">{}</data><data key=\"iri\">{}</data></node>",
            xml(node.slug()),
            xml(&node.label),
            xml(node.kind()),
            xml(&node.iri)
        );
    }
    for (number, subject, object, edge, source) in extract.drawn_edges() {
        let _ = writeln!(
            out,
            "    <edge id=\"e{number}\" source=\"{}\" target=\"{}\"><data key=\"property\">{}</data><data key=\"status\">{}</data><data key=\"report\">{}</data><data key=\"report_title\">{}</data></edge>",
            xml(subject.slug()),
            xml(object.slug()),
            xml(edge.property_name()),
            xml(&edge.statuses().join("|")),
            xml(&edge.source),
            xml(&source.label)
        );
    }
    out.push_str("  </graph>\n</graphml>\n");
    out
}

/// A CSV field, quoted when it must be (RFC 4180); a field a spreadsheet would read as a
/// formula gets a leading apostrophe.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// One row per relationship and report asserting it.
pub fn claims_csv(extract: &Extract) -> String {
    let mut out = String::from(
        "subject,subject_label,property,object,object_label,status,claim,report,report_title,publisher,issued,url\r\n",
    );
    for edge in &extract.edges {
        let label = |iri: &str| {
            extract
                .nodes
                .get(iri)
                .map(|node| node.label.clone())
                .unwrap_or_default()
        };
        let source = &extract.sources[&edge.source];
        let claims: Vec<&str> = edge
            .asserted
            .iter()
            .map(|asserted| asserted.claim.as_str())
            .collect();
        let row = [
            edge.subject.clone(),
            label(&edge.subject),
            edge.property_name().to_owned(),
            edge.object.clone(),
            label(&edge.object),
            edge.statuses().join("|"),
            claims.join("|"),
            edge.source.clone(),
            source.label.clone(),
            source.publisher.clone().unwrap_or_default(),
            source.issued.clone().unwrap_or_default(),
            source.url.clone().unwrap_or_default(),
        ];
        let row: Vec<String> = row.iter().map(|text| field(text)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}
