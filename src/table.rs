//! Plain-text tables of query solutions, for `spyatlas query --format table`.

use oxigraph::model::Term;

/// Renders solutions as an aligned table with a header row and a row count.
pub fn render(variables: &[String], rows: &[Vec<Option<Term>>]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|term| term.as_ref().map(show).unwrap_or_default())
                .collect()
        })
        .collect();
    let mut out = render_text(variables, &cells);
    out.push_str(&format!(
        "{} row{}\n",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ));
    out
}

/// Renders rows of text as an aligned table under a header row.
pub fn render_text(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|name| name.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |values: &mut dyn Iterator<Item = &str>| -> String {
        let padded: Vec<String> = values
            .zip(&widths)
            .map(|(value, width)| format!("{value:<width$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let rule = format!(
        "+{}+\n",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("+")
    );
    let mut out = rule.clone();
    out.push_str(&line(&mut header.iter().map(String::as_str)));
    out.push_str(&rule);
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out.push_str(&rule);
    out
}

/// A term as a reader wants to see it: IRIs bare, literals with their language.
fn show(term: &Term) -> String {
    match term {
        Term::NamedNode(node) => node.as_str().to_owned(),
        Term::BlankNode(node) => node.to_string(),
        Term::Literal(literal) => match literal.language() {
            Some(language) => format!("{} @{language}", literal.value()),
            None => literal.value().to_owned(),
        },
        // RDF 1.2 triple terms (oxigraph's `rdf-12` feature, which the SHACL validator's
        // dependencies switch on).
        Term::Triple(triple) => triple.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{Literal, NamedNode};

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let rows = vec![
            vec![
                Some(NamedNode::new_unchecked("http://e.org/a").into()),
                None,
            ],
            vec![
                None,
                Some(Literal::new_language_tagged_literal_unchecked("Italië", "nl").into()),
            ],
        ];
        let table = render(&["s".into(), "label".into()], &rows);
        assert!(table.contains("| http://e.org/a | "), "{table}");
        assert!(table.contains("| Italië @nl |"), "{table}");
        assert!(table.ends_with("2 rows\n"));
    }
}
