//! The named limits on what a client may send, and the checks that apply them before a
//! parser or evaluator runs on it.
//!
//! Recursive-descent parsers and the evaluator recurse once per level of nesting, so a
//! query of 4,000 nested parentheses or a YAML file of 10,000 nested lists used to
//! overflow the stack and end the process. The checks here read the text once, without
//! recursion, and refuse it before the recursive code sees it:
//!
//! - [`check_sparql`]: the size of a SPARQL text and how deeply its brackets nest;
//! - [`check_algebra`] / [`check_update_algebra`]: how deep the parsed query is (long
//!   chains such as `1+1+...+1` or a hundred `UNION`s nest without brackets);
//! - [`check_json_nesting`]: how deeply a JSON document nests;
//! - [`refuse_xml_entities`]: RDF/XML with DTD entity declarations (an entity bomb
//!   expands 564 bytes into a gigabyte before any check after the parser could run).
//!
//! YAML has its own check where it is read (aliases and nesting, in
//! [`crate::ingest::document`]), on the parser's events.
//!
//! ```
//! use spyatlas::limits::{self, LimitError};
//!
//! let deep = format!("SELECT * WHERE {{ FILTER({}1{}) }}", "(".repeat(500), ")".repeat(500));
//! assert!(matches!(limits::check_sparql(&deep, 1 << 20), Err(LimitError::Nesting { .. })));
//! assert!(limits::check_sparql("SELECT * WHERE { ?s ?p ?o }", 1 << 20).is_ok());
//! ```

use oxigraph::io::RdfFormat;
use spargebra::algebra::{
    AggregateExpression, Expression, GraphPattern, OrderExpression, PropertyPathExpression,
};
use spargebra::{GraphUpdateOperation, Query, Update};

/// How deeply brackets (`(`, `{`, `[`, `<<`) may nest in a SPARQL text, and objects and
/// arrays in a report document.
pub const MAX_NESTING: usize = 64;

/// How deep a parsed query's algebra may be: operators inside operators, counting each
/// link of a chain such as `?a || ?b || ?c` or `{...} UNION {...} UNION {...}`.
pub const MAX_ALGEBRA_DEPTH: usize = 512;

/// The default of the largest SPARQL text accepted (`--max-query-kb`).
pub const DEFAULT_MAX_QUERY_BYTES: usize = 1024 * 1024;

/// What a text breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// The text is longer than allowed.
    #[error(
        "the SPARQL text is {size} bytes long; this server accepts at most {limit} bytes (--max-query-kb)"
    )]
    Size { size: usize, limit: usize },
    /// Brackets or document levels nest too deeply.
    #[error(
        "{what} nest more than {limit} levels deep (line {line}, column {column}); this server accepts at most {limit}: flatten the {flatten}"
    )]
    Nesting {
        what: &'static str,
        flatten: &'static str,
        limit: usize,
        line: usize,
        column: usize,
    },
    /// The query's operators nest too deeply.
    #[error(
        "the query's operators nest more than {limit} deep{} (each link of a chain of ||, &&, +, UNION, OPTIONAL, FILTER or path steps counts one level); this server accepts at most {limit}: use IN (...) or VALUES instead of long chains, or split the query",
        at.map(|(line, column)| format!(" at line {line}, column {column}")).unwrap_or_default()
    )]
    AlgebraDepth {
        limit: usize,
        /// Line and column where the limit was passed, when the text tells.
        at: Option<(usize, usize)>,
    },
    /// RDF/XML declares entities.
    #[error(
        "RDF/XML with DTD entity declarations (<!ENTITY ...>) is not accepted (line {line}): write the values out"
    )]
    XmlEntity { line: usize },
}

/// Refuses a SPARQL text longer than `max_bytes`, whose brackets nest deeper than
/// [`MAX_NESTING`], or whose operators could nest deeper than [`MAX_ALGEBRA_DEPTH`].
///
/// The parser builds a chain such as `1+1+...+1`, `{..} UNION {..} UNION ...` or a run of
/// `OPTIONAL`s into a tree one level deeper per link, and walks that tree recursively
/// while it parses: chains must be bounded before the parser runs. Each bracket level
/// counts the operators, chain keywords and groups written at that level; the depth of a
/// point is the bracket depth plus the counts of the levels around it, an upper bound of
/// the depth of the tree the parser would build. Strings, IRIs and comments are skipped,
/// and names (`ex:a-b`, `?x`, `1e-3`) are read whole, so the `-` in them is no operator.
pub fn check_sparql(text: &str, max_bytes: usize) -> Result<(), LimitError> {
    if text.len() > max_bytes {
        return Err(LimitError::Size {
            size: text.len(),
            limit: max_bytes,
        });
    }
    let bytes = text.as_bytes();
    let mut levels = ChainLevels::default();
    let mut position = Position::default();
    // Whether the last token ends a term: then `+` and `-` are operators, else signs.
    let mut after_term = false;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let mut ends_term = false;
        let step = match byte {
            b'#' => {
                let end = bytes[i..]
                    .iter()
                    .position(|&byte| byte == b'\n')
                    .map_or(bytes.len(), |offset| i + offset);
                position.advance(&bytes[i..end]);
                i = end;
                continue;
            }
            b'"' | b'\'' => {
                ends_term = true;
                end_of_string(bytes, i) - i
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                levels.open(position)?;
                2
            }
            b'<' => match end_of_iri(bytes, i) {
                Some(end) => {
                    ends_term = true;
                    end - i
                }
                None => {
                    levels.link(position)?;
                    if bytes.get(i + 1) == Some(&b'=') {
                        2
                    } else {
                        1
                    }
                }
            },
            b'>' if bytes.get(i + 1) == Some(&b'>') => {
                levels.close();
                2
            }
            b'{' => {
                // Groups side by side are joined one after the other.
                levels.link(position)?;
                levels.open(position)?;
                1
            }
            b'(' | b'[' => {
                levels.open(position)?;
                1
            }
            b')' | b'}' | b']' => {
                levels.close();
                ends_term = true;
                1
            }
            b'^' if bytes.get(i + 1) == Some(&b'^') => 2,
            // A sign, part of the number after it.
            b'+' | b'-' if !after_term => 1,
            b'|' | b'&' | b'=' | b'!' | b'>' | b'+' | b'-' | b'*' | b'/' | b'^' => {
                levels.link(position)?;
                let doubled = matches!(
                    (byte, bytes.get(i + 1)),
                    (b'|', Some(b'|')) | (b'&', Some(b'&')) | (b'!' | b'>', Some(b'='))
                );
                if doubled { 2 } else { 1 }
            }
            byte if starts_name(byte) => {
                let end = end_of_name(bytes, i);
                if is_chain_keyword(&bytes[i..end]) {
                    levels.link(position)?;
                } else {
                    ends_term = true;
                }
                end - i
            }
            byte if byte.is_ascii_whitespace() => {
                ends_term = after_term;
                1
            }
            _ => 1,
        };
        after_term = ends_term;
        position.advance(&bytes[i..i + step]);
        i += step;
    }
    Ok(())
}

/// The bracket levels around a point of a SPARQL text, each with the chain links written
/// at it so far.
#[derive(Default)]
struct ChainLevels {
    links: Vec<usize>,
    /// The links of every level, summed.
    total: usize,
}

impl ChainLevels {
    fn open(&mut self, at: Position) -> Result<(), LimitError> {
        if self.links.len() >= MAX_NESTING {
            return Err(at.nesting("brackets", "query", MAX_NESTING));
        }
        self.links.push(0);
        self.check(at)
    }

    fn close(&mut self) {
        if let Some(links) = self.links.pop() {
            self.total -= links;
        }
    }

    fn link(&mut self, at: Position) -> Result<(), LimitError> {
        match self.links.last_mut() {
            Some(links) => *links += 1,
            None => return Ok(()),
        }
        self.total += 1;
        self.check(at)
    }

    fn check(&self, at: Position) -> Result<(), LimitError> {
        if self.links.len() + self.total > MAX_ALGEBRA_DEPTH {
            return Err(LimitError::AlgebraDepth {
                limit: MAX_ALGEBRA_DEPTH,
                at: Some((at.line, at.column)),
            });
        }
        Ok(())
    }
}

/// Whether a byte starts a name: a keyword, a variable, a prefixed name, a number, a
/// language tag.
fn starts_name(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b':' | b'?' | b'$' | b'@') || byte >= 0x80
}

/// Where the name starting at `start` ends. Prefixed names and language tags may hold
/// `-` (`ex:a-b`, `@en-GB`); numbers only in their exponent (`1e-3`); variables and
/// keywords never, so that `1-1` and `?a-?b` are read as subtractions.
fn end_of_name(bytes: &[u8], start: usize) -> usize {
    let first = bytes[start];
    let number = first.is_ascii_digit();
    let mut hyphens = first == b'@' || first == b':';
    let mut i = start + 1;
    while let Some(&byte) = bytes.get(i) {
        let previous = bytes[i - 1];
        let inside = match byte {
            b':' if !number => {
                hyphens = true;
                true
            }
            b'-' | b'+' if number => matches!(previous, b'e' | b'E'),
            b'-' | b'%' | b'\\' => hyphens,
            // A dot inside a name or number (`ex:a.b`, `1.5`), not the one ending a triple.
            b'.' => bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric),
            byte => byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80,
        };
        if !inside {
            break;
        }
        i += 1;
    }
    i
}

/// Keywords that add a link to the chain of their group.
fn is_chain_keyword(word: &[u8]) -> bool {
    const KEYWORDS: [&[u8]; 11] = [
        b"UNION",
        b"OPTIONAL",
        b"MINUS",
        b"FILTER",
        b"BIND",
        b"GRAPH",
        b"SERVICE",
        b"VALUES",
        b"EXISTS",
        b"LATERAL",
        b"IN",
    ];
    KEYWORDS
        .iter()
        .any(|keyword| word.eq_ignore_ascii_case(keyword))
}

/// Where the end of the string starting at `start` (a quote) is: past its closing quote,
/// or the end of the text. Long strings (`"""`, `'''`) may hold single quotes.
fn end_of_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let long = bytes.get(start + 1) == Some(&quote) && bytes.get(start + 2) == Some(&quote);
    let mut i = start + if long { 3 } else { 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            byte if byte == quote => {
                if !long {
                    return i + 1;
                }
                if bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote) {
                    return i + 3;
                }
                i += 1;
            }
            b'\n' if !long => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Where the IRI starting at `start` (a `<`) ends, past its `>`; `None` when the `<` is
/// an operator (what follows cannot be an IRI).
fn end_of_iri(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'>' => return Some(i + 1),
            b'<' | b'"' | b'{' | b'}' | b'|' | b'^' | b'`' | b'\\' => return None,
            byte if byte <= b' ' => return None,
            _ => i += 1,
        }
    }
    None
}

/// Line and column (both from 1, columns in characters) while reading a text.
#[derive(Clone, Copy)]
struct Position {
    line: usize,
    column: usize,
}

impl Default for Position {
    fn default() -> Self {
        Self { line: 1, column: 1 }
    }
}

impl Position {
    fn advance(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if byte == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if byte & 0xC0 != 0x80 {
                // Not a UTF-8 continuation byte: a new character.
                self.column += 1;
            }
        }
    }

    fn nesting(self, what: &'static str, flatten: &'static str, limit: usize) -> LimitError {
        LimitError::Nesting {
            what,
            flatten,
            limit,
            line: self.line,
            column: self.column,
        }
    }
}

/// Refuses a JSON text whose objects and arrays nest deeper than [`MAX_NESTING`].
pub fn check_json_nesting(text: &str) -> Result<(), LimitError> {
    let bytes = text.as_bytes();
    let mut depth = 0_usize;
    let mut position = Position::default();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let mut end = i + 1;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let end = (end + 1).min(bytes.len());
                position.advance(&bytes[i..end]);
                i = end;
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(position.nesting("objects and arrays", "document", MAX_NESTING));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        position.advance(&bytes[i..=i]);
        i += 1;
    }
    Ok(())
}

/// Refuses a YAML text whose collections could nest deeper than [`MAX_NESTING`], read
/// line by line before the YAML scanner sees it (the scanner keeps a state per open
/// level and rereads it for every token: twenty thousand `- ` on one line took it
/// seconds). A line's depth is the number of indentations open around it, plus the
/// sequence entries (`- `) and complex keys (`? `) that start it, plus the flow
/// collections (`[`, `{`) open at its end; quoted text and comments are skipped.
pub fn check_yaml_nesting(text: &str) -> Result<(), LimitError> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0_usize;
    // The indentation of the line that opened a block scalar (`|`, `>`): deeper lines
    // are its text.
    let mut block_scalar: Option<usize> = None;
    for (number, line) in text.lines().enumerate() {
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if let Some(opener) = block_scalar {
            if content.is_empty() || indent > opener {
                continue;
            }
            block_scalar = None;
        }
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if flow == 0 {
            while indents.last().is_some_and(|&open| open > indent) {
                indents.pop();
            }
            if indents.last().is_none_or(|&open| open < indent) {
                indents.push(indent);
            }
        }
        let mut inline = 0;
        let mut rest = content;
        while let Some(after) = rest
            .strip_prefix("- ")
            .or_else(|| rest.strip_prefix("? "))
            .or_else(|| (rest == "-").then_some(""))
        {
            inline += 1;
            rest = after.trim_start_matches(' ');
        }
        let mut deepest = flow;
        let mut quote = None;
        let mut previous = ' ';
        // Whether a value may start here: a bracket then opens a flow collection (in a
        // plain scalar, `Report [draft]`, it is text).
        let mut value_starts = true;
        for c in rest.chars() {
            match (quote, c) {
                (Some(open), c) if c == open => quote = None,
                (Some(_), _) => {}
                (None, '#') if previous == ' ' => break,
                (None, ' ') => {}
                (None, ':') => value_starts = true,
                (None, ',') if flow > 0 => value_starts = true,
                (None, '"' | '\'') if value_starts || flow > 0 => {
                    quote = Some(c);
                    value_starts = false;
                }
                (None, '[' | '{') if value_starts || flow > 0 => {
                    flow += 1;
                    deepest = deepest.max(flow);
                    value_starts = true;
                }
                (None, ']' | '}') if flow > 0 => {
                    flow -= 1;
                    value_starts = false;
                }
                (None, _) => value_starts = false,
            }
            previous = c;
        }
        let trimmed = rest.split(" #").next().unwrap_or(rest).trim_end();
        if flow == 0
            && trimmed
                .rsplit(' ')
                .next()
                .is_some_and(|last| last.starts_with(['|', '>']) && last.len() <= 3)
        {
            block_scalar = Some(indent);
        }
        if indents.len() + inline + deepest > MAX_NESTING {
            return Err(LimitError::Nesting {
                what: "lists and mappings",
                flatten: "document",
                limit: MAX_NESTING,
                line: number + 1,
                column: indent + 1,
            });
        }
    }
    Ok(())
}

/// Refuses an RDF/XML text that declares entities in its document type (`<!ENTITY`),
/// before any XML parser expands them. Entities can only be declared before the root
/// element, so only the prolog is read.
pub fn refuse_xml_entities(bytes: &[u8]) -> Result<(), LimitError> {
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&byte| byte == b'<') {
        i += offset;
        let rest = &bytes[i..];
        if rest.starts_with(b"<!ENTITY") {
            let line = 1 + bytes[..i].iter().filter(|&&byte| byte == b'\n').count();
            return Err(LimitError::XmlEntity { line });
        }
        // A start tag: the root element, after which no entity may be declared.
        if rest
            .get(1)
            .is_some_and(|&byte| byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80)
        {
            return Ok(());
        }
        i += 1;
    }
    Ok(())
}

/// The checks an RDF document gets before its parser runs: RDF/XML must not declare
/// entities, and no document may nest deeper than [`MAX_NESTING`] (blank nodes and
/// collections in Turtle and TriG, quoted triples, JSON-LD objects, XML elements): the
/// parsers keep a state per level, and took seconds per request at a hundred thousand.
pub fn check_rdf(bytes: &[u8], format: RdfFormat) -> Result<(), LimitError> {
    match format {
        RdfFormat::RdfXml => {
            refuse_xml_entities(bytes)?;
            check_xml_nesting(bytes)
        }
        RdfFormat::JsonLd { .. } => check_json_nesting(&String::from_utf8_lossy(bytes)),
        _ => check_turtle_nesting(bytes),
    }
}

/// Refuses Turtle, TriG, N3, N-Triples or N-Quads whose brackets (`[`, `(`, `{`, `<<`)
/// nest deeper than [`MAX_NESTING`]; strings, IRIs and comments are skipped.
fn check_turtle_nesting(bytes: &[u8]) -> Result<(), LimitError> {
    let mut depth = 0_usize;
    let mut i = 0;
    while i < bytes.len() {
        let step = match bytes[i] {
            b'#' => bytes[i..]
                .iter()
                .position(|&byte| byte == b'\n')
                .unwrap_or(bytes.len() - i),
            b'"' | b'\'' => end_of_string(bytes, i) - i,
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                depth += 1;
                2
            }
            b'<' => end_of_iri(bytes, i).map_or(1, |end| end - i),
            b'>' if bytes.get(i + 1) == Some(&b'>') => {
                depth = depth.saturating_sub(1);
                2
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                1
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                1
            }
            _ => 1,
        };
        if depth > MAX_NESTING {
            // Where, counted only now: large dumps are read without it.
            let mut position = Position::default();
            position.advance(&bytes[..i]);
            return Err(position.nesting("brackets", "document", MAX_NESTING));
        }
        i += step;
    }
    Ok(())
}

/// Refuses XML whose elements nest deeper than [`MAX_NESTING`]. Comments, processing
/// instructions, CDATA sections and the document type are skipped; quoted attribute
/// values may hold `>`.
fn check_xml_nesting(bytes: &[u8]) -> Result<(), LimitError> {
    let find = |from: usize, needle: &[u8]| {
        bytes[from..]
            .windows(needle.len())
            .position(|window| window == needle)
            .map_or(bytes.len(), |offset| from + offset + needle.len())
    };
    let mut depth = 0_usize;
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&byte| byte == b'<') {
        i += offset;
        let rest = &bytes[i..];
        i = if rest.starts_with(b"<!--") {
            find(i, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            find(i, b"]]>")
        } else if rest.starts_with(b"<?") {
            find(i, b"?>")
        } else if rest.starts_with(b"<!") {
            // A document type, with its internal subset in brackets.
            let close = find(i, b">");
            match bytes[i..close].iter().position(|&byte| byte == b'[') {
                Some(_) => find(i, b"]>").max(close),
                None => close,
            }
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            find(i, b">")
        } else {
            let mut end = i + 1;
            let mut quote = None;
            while let Some(&byte) = bytes.get(end) {
                match (quote, byte) {
                    (None, b'"' | b'\'') => quote = Some(byte),
                    (Some(open), byte) if byte == open => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                end += 1;
            }
            if bytes.get(end.wrapping_sub(1)) != Some(&b'/') {
                depth += 1;
                if depth > MAX_NESTING {
                    let line = 1 + bytes[..i].iter().filter(|&&byte| byte == b'\n').count();
                    return Err(LimitError::Nesting {
                        what: "elements",
                        flatten: "document",
                        limit: MAX_NESTING,
                        line,
                        column: 1 + bytes[..i]
                            .iter()
                            .rev()
                            .take_while(|&&byte| byte != b'\n')
                            .count(),
                    });
                }
            }
            end + 1
        };
        if i >= bytes.len() {
            break;
        }
    }
    Ok(())
}

/// Passes a parsed query at most [`MAX_ALGEBRA_DEPTH`] deep, and refuses a deeper one
/// (taken apart without recursion: dropping it as usual would recurse once per level).
/// The walk itself stops at the limit, so it never recurses deeper than that.
pub fn check_algebra(query: Query) -> Result<Query, LimitError> {
    let pattern = match &query {
        Query::Select { pattern, .. }
        | Query::Ask { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. } => pattern,
    };
    if pattern_fits(pattern, MAX_ALGEBRA_DEPTH) {
        return Ok(query);
    }
    let (Query::Select { pattern, .. }
    | Query::Ask { pattern, .. }
    | Query::Construct { pattern, .. }
    | Query::Describe { pattern, .. }) = query;
    dismantle(vec![pattern]);
    Err(LimitError::AlgebraDepth {
        limit: MAX_ALGEBRA_DEPTH,
        at: None,
    })
}

/// [`check_algebra`] for every operation of an update.
pub fn check_update_algebra(update: Update) -> Result<Update, LimitError> {
    let fits = update.operations.iter().all(|operation| match operation {
        GraphUpdateOperation::DeleteInsert { pattern, .. } => {
            pattern_fits(pattern, MAX_ALGEBRA_DEPTH)
        }
        _ => true,
    });
    if fits {
        return Ok(update);
    }
    dismantle(
        update
            .operations
            .into_iter()
            .filter_map(|operation| match operation {
                GraphUpdateOperation::DeleteInsert { pattern, .. } => Some(*pattern),
                _ => None,
            })
            .collect(),
    );
    Err(LimitError::AlgebraDepth {
        limit: MAX_ALGEBRA_DEPTH,
        at: None,
    })
}

/// Drops patterns of any depth with a stack of its own: each node is taken apart (its
/// children moved out) before it is dropped, so no drop recurses.
fn dismantle(mut patterns: Vec<GraphPattern>) {
    let mut expressions: Vec<Expression> = Vec::new();
    let mut paths: Vec<PropertyPathExpression> = Vec::new();
    loop {
        if let Some(pattern) = patterns.pop() {
            match pattern {
                GraphPattern::Join { left, right }
                | GraphPattern::Lateral { left, right }
                | GraphPattern::Union { left, right }
                | GraphPattern::Minus { left, right } => {
                    patterns.push(*left);
                    patterns.push(*right);
                }
                GraphPattern::LeftJoin {
                    left,
                    right,
                    expression,
                } => {
                    patterns.push(*left);
                    patterns.push(*right);
                    expressions.extend(expression);
                }
                GraphPattern::Filter { expr, inner } => {
                    expressions.push(expr);
                    patterns.push(*inner);
                }
                GraphPattern::Extend {
                    inner, expression, ..
                } => {
                    expressions.push(expression);
                    patterns.push(*inner);
                }
                GraphPattern::OrderBy { inner, expression } => {
                    patterns.push(*inner);
                    expressions.extend(expression.into_iter().map(|order| match order {
                        OrderExpression::Asc(expression) | OrderExpression::Desc(expression) => {
                            expression
                        }
                    }));
                }
                GraphPattern::Group {
                    inner, aggregates, ..
                } => {
                    patterns.push(*inner);
                    expressions.extend(aggregates.into_iter().filter_map(|(_, aggregate)| {
                        match aggregate {
                            AggregateExpression::FunctionCall { expr, .. } => Some(expr),
                            AggregateExpression::CountSolutions { .. } => None,
                        }
                    }));
                }
                GraphPattern::Graph { inner, .. }
                | GraphPattern::Project { inner, .. }
                | GraphPattern::Distinct { inner }
                | GraphPattern::Reduced { inner }
                | GraphPattern::Slice { inner, .. }
                | GraphPattern::Service { inner, .. } => patterns.push(*inner),
                GraphPattern::Path { path, .. } => paths.push(path),
                GraphPattern::Bgp { .. } | GraphPattern::Values { .. } => {}
            }
        } else if let Some(expression) = expressions.pop() {
            match expression {
                Expression::Or(a, b)
                | Expression::And(a, b)
                | Expression::Equal(a, b)
                | Expression::SameTerm(a, b)
                | Expression::Greater(a, b)
                | Expression::GreaterOrEqual(a, b)
                | Expression::Less(a, b)
                | Expression::LessOrEqual(a, b)
                | Expression::Add(a, b)
                | Expression::Subtract(a, b)
                | Expression::Multiply(a, b)
                | Expression::Divide(a, b) => {
                    expressions.push(*a);
                    expressions.push(*b);
                }
                Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => {
                    expressions.push(*a);
                }
                Expression::In(a, list) => {
                    expressions.push(*a);
                    expressions.extend(list);
                }
                Expression::If(a, b, c) => {
                    expressions.push(*a);
                    expressions.push(*b);
                    expressions.push(*c);
                }
                Expression::Coalesce(list) | Expression::FunctionCall(_, list) => {
                    expressions.extend(list);
                }
                Expression::Exists(pattern) => patterns.push(*pattern),
                Expression::NamedNode(_)
                | Expression::Literal(_)
                | Expression::Variable(_)
                | Expression::Bound(_) => {}
            }
        } else if let Some(path) = paths.pop() {
            match path {
                PropertyPathExpression::Reverse(inner)
                | PropertyPathExpression::ZeroOrMore(inner)
                | PropertyPathExpression::OneOrMore(inner)
                | PropertyPathExpression::ZeroOrOne(inner) => paths.push(*inner),
                PropertyPathExpression::Sequence(a, b)
                | PropertyPathExpression::Alternative(a, b) => {
                    paths.push(*a);
                    paths.push(*b);
                }
                PropertyPathExpression::NamedNode(_)
                | PropertyPathExpression::NegatedPropertySet(_) => {}
            }
        } else {
            return;
        }
    }
}

/// Whether `pattern` is at most `budget` levels deep.
fn pattern_fits(pattern: &GraphPattern, budget: usize) -> bool {
    let Some(budget) = budget.checked_sub(1) else {
        return false;
    };
    match pattern {
        GraphPattern::Bgp { .. } | GraphPattern::Values { .. } => true,
        GraphPattern::Path { path, .. } => path_fits(path, budget),
        GraphPattern::Join { left, right }
        | GraphPattern::Lateral { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right } => {
            pattern_fits(left, budget) && pattern_fits(right, budget)
        }
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => {
            pattern_fits(left, budget)
                && pattern_fits(right, budget)
                && expression
                    .as_ref()
                    .is_none_or(|expression| expression_fits(expression, budget))
        }
        GraphPattern::Filter { expr, inner } => {
            expression_fits(expr, budget) && pattern_fits(inner, budget)
        }
        GraphPattern::Extend {
            inner, expression, ..
        } => expression_fits(expression, budget) && pattern_fits(inner, budget),
        GraphPattern::OrderBy { inner, expression } => {
            pattern_fits(inner, budget)
                && expression.iter().all(|order| match order {
                    OrderExpression::Asc(expression) | OrderExpression::Desc(expression) => {
                        expression_fits(expression, budget)
                    }
                })
        }
        GraphPattern::Group {
            inner, aggregates, ..
        } => {
            pattern_fits(inner, budget)
                && aggregates.iter().all(|(_, aggregate)| match aggregate {
                    AggregateExpression::CountSolutions { .. } => true,
                    AggregateExpression::FunctionCall { expr, .. } => expression_fits(expr, budget),
                })
        }
        GraphPattern::Graph { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Service { inner, .. } => pattern_fits(inner, budget),
    }
}

/// Whether `expression` is at most `budget` levels deep.
fn expression_fits(expression: &Expression, budget: usize) -> bool {
    let Some(budget) = budget.checked_sub(1) else {
        return false;
    };
    match expression {
        Expression::NamedNode(_)
        | Expression::Literal(_)
        | Expression::Variable(_)
        | Expression::Bound(_) => true,
        Expression::Or(a, b)
        | Expression::And(a, b)
        | Expression::Equal(a, b)
        | Expression::SameTerm(a, b)
        | Expression::Greater(a, b)
        | Expression::GreaterOrEqual(a, b)
        | Expression::Less(a, b)
        | Expression::LessOrEqual(a, b)
        | Expression::Add(a, b)
        | Expression::Subtract(a, b)
        | Expression::Multiply(a, b)
        | Expression::Divide(a, b) => expression_fits(a, budget) && expression_fits(b, budget),
        Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => {
            expression_fits(a, budget)
        }
        Expression::In(a, list) => {
            expression_fits(a, budget) && list.iter().all(|item| expression_fits(item, budget))
        }
        Expression::If(a, b, c) => {
            expression_fits(a, budget) && expression_fits(b, budget) && expression_fits(c, budget)
        }
        Expression::Coalesce(list) | Expression::FunctionCall(_, list) => {
            list.iter().all(|item| expression_fits(item, budget))
        }
        Expression::Exists(pattern) => pattern_fits(pattern, budget),
    }
}

/// Whether a property path is at most `budget` levels deep.
fn path_fits(path: &PropertyPathExpression, budget: usize) -> bool {
    let Some(budget) = budget.checked_sub(1) else {
        return false;
    };
    match path {
        PropertyPathExpression::NamedNode(_) | PropertyPathExpression::NegatedPropertySet(_) => {
            true
        }
        PropertyPathExpression::Reverse(inner)
        | PropertyPathExpression::ZeroOrMore(inner)
        | PropertyPathExpression::OneOrMore(inner)
        | PropertyPathExpression::ZeroOrOne(inner) => path_fits(inner, budget),
        PropertyPathExpression::Sequence(a, b) | PropertyPathExpression::Alternative(a, b) => {
            path_fits(a, budget) && path_fits(b, budget)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!(
            "SELECT * WHERE {{ FILTER({}1{}) }}",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    }

    #[test]
    fn brackets_nesting_at_the_limit_pass_and_one_more_fails() {
        // The query's own `{` and `FILTER(` count two levels.
        assert!(check_sparql(&nested(MAX_NESTING - 2), usize::MAX).is_ok());
        let error = check_sparql(&nested(MAX_NESTING - 1), usize::MAX).unwrap_err();
        assert!(
            matches!(
                error,
                LimitError::Nesting {
                    line: 1,
                    limit: MAX_NESTING,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn brackets_in_strings_iris_and_comments_do_not_count() {
        let many = "(".repeat(1000);
        let query = format!(
            "# {many}\nSELECT * WHERE {{ ?s <http://example.com/{many}> \"{many}\" , '{many}' , \"\"\"{many}\"\"\" }}"
        );
        // Parentheses are allowed in IRIs.
        assert!(check_sparql(&query, usize::MAX).is_ok());
        // `<` as an operator is not mistaken for an IRI.
        let compare = format!(
            "SELECT * WHERE {{ FILTER(?a < ?b && {}1{}) }}",
            "(".repeat(70),
            ")".repeat(70)
        );
        assert!(check_sparql(&compare, usize::MAX).is_err());
    }

    #[test]
    fn a_long_text_is_refused_by_its_size() {
        assert_eq!(
            check_sparql("SELECT * WHERE { ?s ?p ?o }", 10),
            Err(LimitError::Size {
                size: 27,
                limit: 10
            })
        );
    }

    #[test]
    fn nesting_errors_say_where() {
        let query = format!(
            "SELECT *\nWHERE {{\n  FILTER({}1{}) }}",
            "(".repeat(100),
            ")".repeat(100)
        );
        let LimitError::Nesting { line, column, .. } =
            check_sparql(&query, usize::MAX).unwrap_err()
        else {
            panic!("a nesting error")
        };
        // `{` and `FILTER(` are two levels; the 63rd parenthesis after them is the 65th.
        assert_eq!((line, column), (3, 9 + 63));
    }

    fn chain_error(query: &str) -> LimitError {
        check_sparql(query, usize::MAX).expect_err(query)
    }

    #[test]
    fn long_chains_are_refused_before_parsing() {
        let too_long = MAX_ALGEBRA_DEPTH + 10;
        for query in [
            format!("SELECT * WHERE {{ FILTER(1{}) }}", "+1".repeat(too_long)),
            format!(
                "SELECT * WHERE {{ FILTER(?a{}) }}",
                " || ?a".repeat(too_long)
            ),
            format!("SELECT * WHERE {{ FILTER(1{}) }}", "-1".repeat(too_long)),
            format!("SELECT * WHERE {{ FILTER(?a{}) }}", "-?a".repeat(too_long)),
            format!(
                "SELECT * WHERE {{ FILTER(1e-3{}) }}",
                "*1e+3".repeat(too_long)
            ),
            format!("SELECT * WHERE {{ {{}}{} }}", " UNION {}".repeat(too_long)),
            format!(
                "SELECT * WHERE {{ ?s ?p ?o {} }}",
                "OPTIONAL { ?s ?p ?o } ".repeat(too_long)
            ),
            format!("SELECT * WHERE {{ {} }}", "{ ?s ?p ?o } ".repeat(too_long)),
            format!(
                "SELECT * WHERE {{ ?s <http://e/p>{} ?o }}",
                "/<http://e/p>".repeat(too_long)
            ),
            format!(
                "SELECT * WHERE {{ {} }}",
                "?s <http://e/p>/<http://e/q> ?o . ".repeat(too_long)
            ),
        ] {
            assert!(
                matches!(
                    chain_error(&query),
                    LimitError::AlgebraDepth {
                        at: Some((1, _)),
                        ..
                    }
                ),
                "{}",
                &query[..80]
            );
        }
    }

    #[test]
    fn large_flat_queries_pass() {
        let names: String = (0..5000).map(|n| format!("ex:entity-{n}-a.b ")).collect();
        let numbers: String = (0..5000).map(|n| format!("{n}, -{n}.5e-3, ")).collect();
        let triples: String = (0..2000)
            .map(|n| format!("?s{n} ex:some-property ?o{n} ; ex:other \"a-b-c\"@en-GB . "))
            .collect();
        let query = format!(
            "PREFIX ex: <http://example.com/> SELECT * WHERE {{ VALUES ?x {{ {names} }} {triples} FILTER(?x IN ({numbers} 1)) }}"
        );
        check_sparql(&query, usize::MAX).unwrap();
        let query = spargebra::SparqlParser::new().parse_query(&query).unwrap();
        assert!(check_algebra(query).is_ok());
    }

    #[test]
    fn a_chain_the_text_check_allows_passes_the_check_after_parsing() {
        let chain = format!(
            "SELECT * WHERE {{ FILTER(1{}) }}",
            "+1".repeat(MAX_ALGEBRA_DEPTH - 10)
        );
        check_sparql(&chain, usize::MAX).unwrap();
        let query = spargebra::SparqlParser::new().parse_query(&chain).unwrap();
        assert!(check_algebra(query).is_ok());
    }

    #[test]
    fn a_refused_query_of_any_depth_is_dropped_without_recursion() {
        // Deep enough that a recursive drop would overflow the test thread's stack.
        let depth = 1_000_000;
        let mut expression = Expression::Literal(spargebra::term::Literal::from(1));
        let mut pattern = GraphPattern::Bgp {
            patterns: Vec::new(),
        };
        let mut path = PropertyPathExpression::NamedNode(
            spargebra::term::NamedNode::new_unchecked("http://e/p"),
        );
        for _ in 0..depth {
            expression = Expression::Add(
                Box::new(expression),
                Box::new(Expression::Literal(1.into())),
            );
            pattern = GraphPattern::Union {
                left: Box::new(pattern),
                right: Box::new(GraphPattern::Bgp {
                    patterns: Vec::new(),
                }),
            };
            path = PropertyPathExpression::Sequence(
                Box::new(path),
                Box::new(PropertyPathExpression::NamedNode(
                    spargebra::term::NamedNode::new_unchecked("http://e/p"),
                )),
            );
        }
        let pattern = GraphPattern::Filter {
            expr: expression,
            inner: Box::new(GraphPattern::Join {
                left: Box::new(pattern),
                right: Box::new(GraphPattern::Path {
                    subject: spargebra::term::Variable::new_unchecked("s").into(),
                    path,
                    object: spargebra::term::Variable::new_unchecked("o").into(),
                }),
            }),
        };
        let query = Query::Select {
            dataset: None,
            pattern,
            base_iri: None,
        };
        assert!(check_algebra(query).is_err());
    }

    #[test]
    fn yaml_nesting_is_bounded_before_the_scanner_reads_it() {
        let compact = format!("{}x", "- ".repeat(20_000));
        assert!(matches!(
            check_yaml_nesting(&compact),
            Err(LimitError::Nesting { line: 1, .. })
        ));
        let stairs: String = (0..200)
            .map(|n| format!("{}- a\n", " ".repeat(n * 2)))
            .collect();
        let stairs = stairs.replace("- a\n", "-\n");
        assert!(matches!(
            check_yaml_nesting(&stairs),
            Err(LimitError::Nesting { .. })
        ));
        let flow = format!("a: {}1{}", "[".repeat(100), "]".repeat(100));
        assert!(matches!(
            check_yaml_nesting(&flow),
            Err(LimitError::Nesting { .. })
        ));
        // A report: a few levels, brackets in quotes and comments, a block scalar.
        let report = "id: report:x # [[[[[[\nlabel: {en: \"[[[[[[[[\", nl: 'a {{{{'}\nclaims:\n  - type: Targeting\n    note: |\n      text [[[[\n        more\n    target: a\n";
        check_yaml_nesting(report).unwrap();
        check_yaml_nesting(&report.repeat(100)).unwrap();
    }

    #[test]
    fn json_nesting_is_bounded_and_strings_do_not_count() {
        let deep = format!(
            "{}1{}",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        assert!(matches!(
            check_json_nesting(&deep),
            Err(LimitError::Nesting { .. })
        ));
        let shallow = format!("{{\"a\": \"{}\"}}", "[{".repeat(500));
        assert!(check_json_nesting(&shallow).is_ok());
    }

    #[test]
    fn rdf_nesting_is_bounded_in_every_syntax() {
        let deep = |open: &str, close: &str| {
            format!(
                "<http://e/s> <http://e/p> {}1{} .",
                open.repeat(100),
                close.repeat(100)
            )
        };
        for (text, format) in [
            (deep("[ <http://e/p> ", " ]"), RdfFormat::Turtle),
            (deep("( ", " )"), RdfFormat::Turtle),
            (deep("[ <http://e/p> ", " ]"), RdfFormat::TriG),
            (
                format!(
                    "<rdf:RDF>{}{}</rdf:RDF>",
                    "<e:p rdf:parseType=\"Resource\">".repeat(100),
                    "</e:p>".repeat(100)
                ),
                RdfFormat::RdfXml,
            ),
        ] {
            assert!(
                matches!(
                    check_rdf(text.as_bytes(), format),
                    Err(LimitError::Nesting { .. })
                ),
                "{format}"
            );
        }
        let flat = "<http://e/s> <http://e/p> \"[[[[((((\" , <http://e/[[[[> . # ((((((\n";
        assert!(check_rdf(flat.repeat(100).as_bytes(), RdfFormat::Turtle).is_ok());
        let xml = "<?xml version=\"1.0\"?><!-- <a><b><c> --><rdf:RDF a=\">\"><rdf:Description/><x><![CDATA[<y><y><y>]]></x></rdf:RDF>";
        assert!(check_rdf(xml.as_bytes(), RdfFormat::RdfXml).is_ok());
    }

    #[test]
    fn xml_entity_declarations_are_refused_before_the_root_element_only() {
        let bomb =
            "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY a \"aaaa\">\n]>\n<rdf:RDF/>";
        assert_eq!(
            refuse_xml_entities(bomb.as_bytes()),
            Err(LimitError::XmlEntity { line: 3 })
        );
        let plain =
            "<?xml version=\"1.0\"?>\n<!-- a comment -->\n<rdf:RDF><rdf:Description/></rdf:RDF>";
        assert!(refuse_xml_entities(plain.as_bytes()).is_ok());
    }
}
