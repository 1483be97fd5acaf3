//! Content negotiation: `Accept` headers with q-values and wildcards, and the `format`
//! parameter that overrides them.

use super::error::ApiError;
use oxigraph::io::RdfFormat;
use oxigraph::sparql::results::QueryResultsFormat;

/// A representation the server can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    Results(QueryResultsFormat),
    Rdf(RdfFormat),
    Html,
    /// Plain JSON (a REST resource, not SPARQL results).
    Json,
}

impl Representation {
    /// The `Content-Type` header value for a response in this representation.
    pub fn content_type(self) -> String {
        let media_type = match self {
            Self::Results(format) => format.media_type(),
            Self::Rdf(format) => format.media_type(),
            Self::Html => "text/html",
            Self::Json => "application/json",
        };
        // oxigraph's CSV and TSV media types carry their charset already.
        if media_type.contains("charset=") {
            media_type.to_owned()
        } else {
            format!("{media_type}; charset=utf-8")
        }
    }
}

const JSON: Representation = Representation::Results(QueryResultsFormat::Json);
const XML: Representation = Representation::Results(QueryResultsFormat::Xml);
const CSV: Representation = Representation::Results(QueryResultsFormat::Csv);
const TSV: Representation = Representation::Results(QueryResultsFormat::Tsv);
const TURTLE: Representation = Representation::Rdf(RdfFormat::Turtle);
const NTRIPLES: Representation = Representation::Rdf(RdfFormat::NTriples);
const NQUADS: Representation = Representation::Rdf(RdfFormat::NQuads);
const TRIG: Representation = Representation::Rdf(RdfFormat::TriG);
const RDFXML: Representation = Representation::Rdf(RdfFormat::RdfXml);
const JSONLD: Representation = Representation::Rdf(RdfFormat::JsonLd {
    profile: oxigraph::io::JsonLdProfileSet::empty(),
});

/// What SELECT and ASK results can be sent as, in order of preference.
pub const SOLUTIONS: &[(&str, Representation)] = &[
    ("application/sparql-results+json", JSON),
    ("application/sparql-results+xml", XML),
    ("text/csv", CSV),
    ("text/tab-separated-values", TSV),
    ("application/json", JSON),
    ("application/xml", XML),
    ("text/xml", XML),
];

/// What graphs (CONSTRUCT, DESCRIBE, Graph Store GET) can be sent as, in order of preference.
pub const GRAPHS: &[(&str, Representation)] = &[
    ("text/turtle", TURTLE),
    ("application/n-triples", NTRIPLES),
    ("application/n-quads", NQUADS),
    ("application/trig", TRIG),
    ("application/rdf+xml", RDFXML),
    ("application/ld+json", JSONLD),
    ("application/x-turtle", TURTLE),
    ("text/plain", NTRIPLES),
];

/// Short names accepted by the `format` parameter.
const FORMAT_NAMES: &[(&str, Representation)] = &[
    ("json", JSON),
    ("srj", JSON),
    ("xml", XML),
    ("srx", XML),
    ("csv", CSV),
    ("tsv", TSV),
    ("turtle", TURTLE),
    ("ttl", TURTLE),
    ("ntriples", NTRIPLES),
    ("nt", NTRIPLES),
    ("nquads", NQUADS),
    ("nq", NQUADS),
    ("trig", TRIG),
    ("rdfxml", RDFXML),
    ("rdf", RDFXML),
    ("jsonld", JSONLD),
    ("json-ld", JSONLD),
    ("html", Representation::Html),
];

/// Picks the representation for a response among `offered` (in server preference order),
/// from the `format` parameter if given, else from the `Accept` header.
pub fn negotiate(
    accept: Option<&str>,
    format: Option<&str>,
    offered: &[(&str, Representation)],
) -> Result<Representation, ApiError> {
    if let Some(format) = format {
        return by_format_parameter(format, offered);
    }
    let accept = accept.map(str::trim).filter(|accept| !accept.is_empty());
    let Some(accept) = accept else {
        return Ok(offered[0].1);
    };
    best_match(accept, offered).ok_or_else(|| ApiError::NotAcceptable {
        accept: accept.to_owned(),
        available: available(offered),
    })
}

fn by_format_parameter(
    format: &str,
    offered: &[(&str, Representation)],
) -> Result<Representation, ApiError> {
    let format = format.trim().to_ascii_lowercase();
    let wanted = FORMAT_NAMES
        .iter()
        .chain(offered)
        .find(|(name, _)| *name == format)
        .map(|(_, representation)| *representation);
    match wanted {
        Some(wanted) if offered.iter().any(|(_, r)| *r == wanted) => Ok(wanted),
        _ => Err(ApiError::NotAcceptable {
            accept: format!("format={format}"),
            available: available(offered),
        }),
    }
}

fn available(offered: &[(&str, Representation)]) -> String {
    offered
        .iter()
        .map(|(media_type, _)| *media_type)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The offered representation with the highest q-value; server order breaks ties.
fn best_match(accept: &str, offered: &[(&str, Representation)]) -> Option<Representation> {
    let ranges = parse_accept(accept);
    let mut best: Option<(f32, Representation)> = None;
    for (media_type, representation) in offered {
        let Some(q) = quality(&ranges, media_type) else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
            best = Some((q, *representation));
        }
    }
    best.map(|(_, representation)| representation)
}

/// One `type/subtype;q=x` element of an `Accept` header.
#[derive(Debug, PartialEq)]
struct MediaRange {
    kind: String,
    subtype: String,
    q: f32,
}

fn parse_accept(accept: &str) -> Vec<MediaRange> {
    accept
        .split(',')
        .filter_map(|element| {
            let mut parts = element.split(';');
            let (kind, subtype) = parts.next()?.trim().split_once('/')?;
            let mut q = 1.0;
            for parameter in parts {
                if let Some((name, value)) = parameter.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    q = value.trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0);
                }
            }
            Some(MediaRange {
                kind: kind.trim().to_ascii_lowercase(),
                subtype: subtype.trim().to_ascii_lowercase(),
                q,
            })
        })
        .collect()
}

/// The q-value the most specific matching range gives `media_type`, if any matches.
fn quality(ranges: &[MediaRange], media_type: &str) -> Option<f32> {
    let (kind, subtype) = media_type.split_once('/')?;
    ranges
        .iter()
        .filter_map(|range| {
            let specificity = match (range.kind.as_str(), range.subtype.as_str()) {
                (k, s) if k == kind && s == subtype => 3,
                (k, "*") if k == kind => 2,
                ("*", "*") => 1,
                _ => return None,
            };
            Some((specificity, range.q))
        })
        .max_by_key(|(specificity, _)| *specificity)
        .map(|(_, q)| q)
}

/// The media type of a `Content-Type` value without its parameters, lowercased.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The `charset` parameter of a `Content-Type` value, if any.
pub fn charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_accept_gives_the_first_offer() {
        assert_eq!(negotiate(None, None, SOLUTIONS).unwrap(), JSON);
    }

    #[test]
    fn q_values_rank_the_offers() {
        let accept = "application/sparql-results+json;q=0.5, text/csv";
        assert_eq!(negotiate(Some(accept), None, SOLUTIONS).unwrap(), CSV);
    }

    #[test]
    fn the_most_specific_range_sets_the_quality() {
        let accept = "text/*;q=0.9, text/csv;q=0, */*;q=0.1";
        assert_eq!(negotiate(Some(accept), None, SOLUTIONS).unwrap(), TSV);
    }

    #[test]
    fn wildcards_take_the_server_preference() {
        assert_eq!(negotiate(Some("*/*"), None, GRAPHS).unwrap(), TURTLE);
    }

    #[test]
    fn unsupported_accept_is_refused() {
        let error = negotiate(Some("image/png"), None, SOLUTIONS).unwrap_err();
        assert!(matches!(error, ApiError::NotAcceptable { .. }));
    }

    #[test]
    fn the_format_parameter_overrides_accept() {
        assert_eq!(
            negotiate(Some("text/csv"), Some("xml"), SOLUTIONS).unwrap(),
            XML
        );
        assert_eq!(
            negotiate(None, Some("text/turtle"), GRAPHS).unwrap(),
            TURTLE
        );
        assert!(negotiate(None, Some("csv"), GRAPHS).is_err());
    }

    #[test]
    fn content_type_parameters_are_split_off() {
        assert_eq!(
            media_type("Application/SPARQL-Query; charset=UTF-16"),
            "application/sparql-query"
        );
        assert_eq!(
            charset("application/sparql-query; charset=UTF-16").as_deref(),
            Some("utf-16")
        );
        assert_eq!(charset("text/turtle"), None);
    }
}
