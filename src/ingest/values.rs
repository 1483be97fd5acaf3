//! Typed values of reports: a literal's text must be a valid value of its XSD datatype (a
//! date that exists, a count written in digits), and a language tag well formed.
//!
//! RDF stores keep ill-typed literals as they are (`"2025-02-30"^^xsd:date` is a literal
//! like any other), and a SHACL datatype check only compares datatypes, so without this a
//! report could say a letter was sent on the 30th of February.

use oxigraph::model::vocab::xsd;
use oxigraph::model::{Literal, Term, Triple};
use oxsdatatypes::{
    Boolean, Date, DateTime, Decimal, Double, Duration, Float, GYear, GYearMonth, Integer,
};
use std::str::FromStr;

/// What is wrong with a triple's literal, if anything: its text is no value of its
/// datatype, or its language tag is not a language tag.
pub fn problem(triple: &Triple) -> Option<String> {
    let Term::Literal(literal) = &triple.object else {
        return None;
    };
    // `dct:language` holds the language of a report as a plain tag.
    if triple.predicate.as_str() == "http://purl.org/dc/terms/language"
        && literal.datatype() == xsd::STRING
        && oxilangtag::LanguageTag::parse(literal.value()).is_err()
    {
        return Some(format!(
            "`{}` is not a language tag: write the report's language as a code such as en, nl, it or pt-BR",
            literal.value()
        ));
    }
    if triple.predicate.as_str() == crate::vocab::term::CVE_ID && !is_cve_id(literal.value()) {
        return Some(format!(
            "`{}` is not a CVE identifier: write CVE-YYYY-NNNN with four or more digits (CVE-2021-30860)",
            literal.value()
        ));
    }
    if let Some(language) = literal.language() {
        return oxilangtag::LanguageTag::parse(language).err().map(|_| {
            format!("`{language}` is not a language tag: write a code such as en, nl, it or pt-BR")
        });
    }
    let (valid, expected) = check(literal)?;
    (!valid).then(|| {
        let mut message = format!(
            "`{}` is not a valid {}: write {expected}",
            literal.value(),
            literal.datatype().as_str().trim_start_matches(XSD)
        );
        // "at least 100", "about 90": the number, and what qualifies it on its own key.
        let text = literal.value();
        if let Some(local) = triple
            .predicate
            .as_str()
            .strip_prefix(crate::vocab::ONTOLOGY_NAMESPACE)
            .filter(|local| local.ends_with("Count") || *local == "amount")
            && text.chars().any(|c| c.is_ascii_digit())
            && text.chars().any(char::is_alphabetic)
        {
            message.push_str(&format!(
                ", and say \"at least\", \"about\" or \"at most\" with `{local}Qualifier: atLeast` (approximately, atMost, exactly)"
            ));
        }
        message
    })
}

const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// `CVE-YYYY-NNNN`: the year in four digits, the number in four or more.
fn is_cve_id(text: &str) -> bool {
    let mut parts = text.split('-');
    let digits = |part: Option<&str>, min: usize, max: usize| {
        part.is_some_and(|part| {
            (min..=max).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
        })
    };
    parts.next() == Some("CVE")
        && digits(parts.next(), 4, 4)
        && digits(parts.next(), 4, 19)
        && parts.next().is_none()
}

/// Whether a literal of a datatype this module knows is valid, and how its values are
/// written; `None` for other datatypes.
fn check(literal: &Literal) -> Option<(bool, &'static str)> {
    let text = literal.value();
    let datatype = literal.datatype();
    let parses = |ok: bool, expected| Some((ok, expected));
    if datatype == xsd::DATE {
        parses(
            Date::from_str(text).is_ok(),
            "a date that exists, as YYYY-MM-DD (2025-02-28)",
        )
    } else if datatype == xsd::DATE_TIME {
        parses(
            DateTime::from_str(text).is_ok(),
            "a moment as YYYY-MM-DDThh:mm:ss with a time zone (2025-02-28T10:00:00Z)",
        )
    } else if datatype == xsd::G_YEAR_MONTH {
        parses(
            GYearMonth::from_str(text).is_ok(),
            "a month as YYYY-MM (2025-02)",
        )
    } else if datatype == xsd::G_YEAR {
        parses(GYear::from_str(text).is_ok(), "a year as YYYY (2025)")
    } else if datatype == xsd::INTEGER {
        parses(
            Integer::from_str(text).is_ok(),
            "a whole number in digits (90)",
        )
    } else if datatype == xsd::NON_NEGATIVE_INTEGER {
        parses(
            Integer::from_str(text).is_ok_and(|value| value >= Integer::from(0)),
            "a whole number in digits, 0 or more (90)",
        )
    } else if datatype == xsd::POSITIVE_INTEGER {
        parses(
            Integer::from_str(text).is_ok_and(|value| value > Integer::from(0)),
            "a whole number in digits, 1 or more (90)",
        )
    } else if datatype == xsd::DECIMAL {
        parses(Decimal::from_str(text).is_ok(), "a number (2.5)")
    } else if datatype == xsd::DOUBLE {
        parses(Double::from_str(text).is_ok(), "a number (2.5)")
    } else if datatype == xsd::FLOAT {
        parses(Float::from_str(text).is_ok(), "a number (2.5)")
    } else if datatype == xsd::BOOLEAN {
        parses(Boolean::from_str(text).is_ok(), "true or false")
    } else if datatype == xsd::DURATION {
        parses(
            Duration::from_str(text).is_ok(),
            "a duration such as P3D or P1Y2M",
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{NamedNode, NamedNodeRef};

    fn triple(value: &str, datatype: NamedNodeRef<'_>) -> Triple {
        Triple::new(
            NamedNode::new("https://w3id.org/spyatlas/id/x").unwrap(),
            NamedNode::new("https://w3id.org/spyatlas/ontology#date").unwrap(),
            Literal::new_typed_literal(value, datatype),
        )
    }

    #[test]
    fn dates_must_exist() {
        assert!(problem(&triple("2025-02-28", xsd::DATE)).is_none());
        assert!(problem(&triple("2024-02-29", xsd::DATE)).is_none());
        for bad in ["2025-02-30", "2025-13-45", "2025-1-5", "yesterday"] {
            let message = problem(&triple(bad, xsd::DATE)).expect(bad);
            assert!(message.contains("YYYY-MM-DD"), "{message}");
        }
        assert!(problem(&triple("2025-13", xsd::G_YEAR_MONTH)).is_some());
        assert!(problem(&triple("2025-02-30T10:00:00Z", xsd::DATE_TIME)).is_some());
    }

    #[test]
    fn counts_are_written_in_digits() {
        assert!(problem(&triple("90", xsd::INTEGER)).is_none());
        let message = problem(&triple("ninety", xsd::INTEGER)).unwrap();
        assert!(
            message.contains("`ninety` is not a valid integer"),
            "{message}"
        );
        assert!(problem(&triple("-1", xsd::NON_NEGATIVE_INTEGER)).is_some());
    }

    #[test]
    fn language_tags_are_checked() {
        let tagged = |tag: &str| {
            Triple::new(
                NamedNode::new("https://w3id.org/spyatlas/id/x").unwrap(),
                NamedNode::new("http://www.w3.org/2000/01/rdf-schema#label").unwrap(),
                Literal::new_language_tagged_literal_unchecked("x", tag),
            )
        };
        assert!(problem(&tagged("pt-br")).is_none());
        assert!(problem(&tagged("english language!")).is_some());
    }

    #[test]
    fn cve_identifiers_are_checked_for_form() {
        for good in ["CVE-2021-30860", "CVE-2023-41064", "CVE-2024-1234567"] {
            assert!(is_cve_id(good), "{good}");
        }
        for bad in [
            "cve-2021-30860",
            "CVE-21-30860",
            "CVE-2021-308",
            "CVE-2021-3086a",
            "CVE-2021-30860-1",
            "2021-30860",
        ] {
            assert!(!is_cve_id(bad), "{bad}");
        }
    }
}
