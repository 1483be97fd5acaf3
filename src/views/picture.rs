//! The neighbourhood of an entity as a picture that stays legible at any degree: the entity
//! in the middle, its neighbours in two columns of rows (one row per node, so no two labels
//! can overlap), grouped by kind, each neighbour's own neighbours indented below it; past
//! [`MAX_ROWS`] rows a side, the rest is one "and N more" row.

/// Rows per column before the rest is summed up.
pub const MAX_ROWS: usize = 14;
/// Characters of a label before it is cut (the full name is the node's tooltip).
const LABEL_CHARS: usize = 30;
const WIDTH: i32 = 760;
const ROW: i32 = 26;
const TOP: i32 = 24;
const CENTRE_X: i32 = WIDTH / 2;
/// Where the nodes of the first and second hop sit, from the middle.
const HOP_1: i32 = 130;
const HOP_2: i32 = 170;

/// A neighbour to draw.
#[derive(Debug, Clone)]
pub struct Neighbour {
    pub name: String,
    pub href: String,
    pub kind: Kind,
    /// What links it to the entity (`vendor`, `target of`).
    pub relation: String,
    /// Its own neighbours, drawn below it.
    pub further: Vec<(String, String, Kind)>,
}

/// The kinds of node the picture tells apart by colour, in the legend's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Vendor,
    Product,
    Government,
    Agency,
    Person,
    Organization,
    Platform,
    Country,
    Incident,
    Claim,
    Report,
    Other,
}

impl Kind {
    /// The kind of a node of these classes (local names in the ontology).
    pub fn of<'a>(classes: impl IntoIterator<Item = &'a str>) -> Kind {
        let classes: Vec<&str> = classes.into_iter().collect();
        for (class, kind) in [
            ("Vendor", Kind::Vendor),
            ("Product", Kind::Product),
            ("Government", Kind::Government),
            ("Agency", Kind::Agency),
            ("Person", Kind::Person),
            ("Organization", Kind::Organization),
            ("Platform", Kind::Platform),
            ("Country", Kind::Country),
            ("Incident", Kind::Incident),
            ("Report", Kind::Report),
            ("Claim", Kind::Claim),
        ] {
            if classes.contains(&class) {
                return kind;
            }
        }
        // Every n-ary claim class ends its name with what it is (`CustomerRelationship`,
        // `Targeting`): when none above matched, a node typed by the claim hierarchy is a
        // claim.
        if classes
            .iter()
            .any(|class| super::entity::is_claim_class(class))
        {
            return Kind::Claim;
        }
        Kind::Other
    }

    /// The class of its colour in the stylesheet.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Vendor => "vendor",
            Kind::Product => "product",
            Kind::Government => "government",
            Kind::Agency => "agency",
            Kind::Person => "person",
            Kind::Organization => "organization",
            Kind::Platform => "platform",
            Kind::Country => "country",
            Kind::Incident => "incident",
            Kind::Claim => "claim",
            Kind::Report => "report",
            Kind::Other => "other",
        }
    }

    /// Its name in the legend.
    pub fn name(self, language: super::Lang) -> &'static str {
        use super::Lang::{En, It, Nl};
        match (self, language) {
            (Kind::Vendor, En) => "vendor",
            (Kind::Vendor, Nl) => "leverancier",
            (Kind::Vendor, It) => "fornitore",
            (Kind::Product, En) => "product",
            (Kind::Product, Nl) => "product",
            (Kind::Product, It) => "prodotto",
            (Kind::Government, En) => "government",
            (Kind::Government, Nl) => "overheid",
            (Kind::Government, It) => "governo",
            (Kind::Agency, En) => "agency",
            (Kind::Agency, Nl) => "dienst",
            (Kind::Agency, It) => "agenzia",
            (Kind::Person, En) => "person",
            (Kind::Person, Nl) => "persoon",
            (Kind::Person, It) => "persona",
            (Kind::Organization, En) => "organisation",
            (Kind::Organization, Nl) => "organisatie",
            (Kind::Organization, It) => "organizzazione",
            (Kind::Platform, En) => "platform",
            (Kind::Platform, Nl) => "platform",
            (Kind::Platform, It) => "piattaforma",
            (Kind::Country, En) => "country",
            (Kind::Country, Nl) => "land",
            (Kind::Country, It) => "paese",
            (Kind::Incident, En) => "incident",
            (Kind::Incident, Nl) => "incident",
            (Kind::Incident, It) => "incidente",
            (Kind::Claim, En) => "claim",
            (Kind::Claim, Nl) => "bewering",
            (Kind::Claim, It) => "affermazione",
            (Kind::Report, En) => "report",
            (Kind::Report, Nl) => "rapport",
            (Kind::Report, It) => "rapporto",
            (Kind::Other, En) => "other",
            (Kind::Other, Nl) => "ander",
            (Kind::Other, It) => "altro",
        }
    }
}

/// A node as drawn.
#[derive(Debug, Clone)]
pub struct Node {
    pub x: i32,
    pub y: i32,
    pub r: i32,
    /// The label as shown (cut) and in full (its tooltip).
    pub label: String,
    pub name: String,
    pub href: String,
    pub kind: &'static str,
    /// Where the label starts, and which way it runs (`start`, `end`).
    pub label_x: i32,
    pub anchor: &'static str,
    /// A neighbour's neighbour.
    pub far: bool,
}

/// A line between two nodes, with what it stands for.
#[derive(Debug, Clone)]
pub struct Line {
    pub x1: i32,
    pub y1: i32,
    pub x2: i32,
    pub y2: i32,
    pub title: String,
    pub far: bool,
}

/// The "and N more" row of a column.
#[derive(Debug, Clone)]
pub struct More {
    pub x: i32,
    pub y: i32,
    pub anchor: &'static str,
    pub count: usize,
}

/// The picture, ready to draw.
#[derive(Debug, Clone)]
pub struct Picture {
    pub width: i32,
    pub height: i32,
    pub centre: Node,
    pub nodes: Vec<Node>,
    pub lines: Vec<Line>,
    pub more: Vec<More>,
    /// The kinds drawn, for the legend.
    pub kinds: Vec<Kind>,
}

/// One row of a column: a neighbour, or one of its neighbours.
enum Row<'a> {
    Near(&'a Neighbour),
    Far(&'a (String, String, Kind)),
}

/// Lays out `entity` (name, kind) and its neighbours.
pub fn draw(entity: (&str, Kind), neighbours: &[Neighbour]) -> Picture {
    let mut sorted: Vec<&Neighbour> = neighbours.iter().collect();
    sorted.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.name.cmp(&b.name)));
    // Each neighbour takes a row and a row for each of its own neighbours; the columns
    // are filled one after the other, left first, so that each holds about half.
    let rows_of = |neighbour: &Neighbour| 1 + neighbour.further.len();
    let total: usize = sorted.iter().map(|n| rows_of(n)).sum();
    let half = total.div_ceil(2);
    let (mut left, mut right): (Vec<Row>, Vec<Row>) = (Vec::new(), Vec::new());
    for neighbour in &sorted {
        let column = if left.len() + rows_of(neighbour) <= half.max(1) || left.is_empty() {
            &mut left
        } else {
            &mut right
        };
        column.push(Row::Near(neighbour));
        for far in &neighbour.further {
            column.push(Row::Far(far));
        }
    }
    let shown = |rows: &Vec<Row>| rows.len().min(MAX_ROWS);
    let height_rows = shown(&left)
        .max(shown(&right))
        .max(1)
        .saturating_add(usize::from(left.len() > MAX_ROWS || right.len() > MAX_ROWS));
    let height = TOP * 2 + ROW * height_rows as i32;
    let centre_y = height / 2;
    let mut picture = Picture {
        width: WIDTH,
        height,
        centre: Node {
            x: CENTRE_X,
            y: centre_y,
            r: 14,
            label: super::truncate(entity.0, LABEL_CHARS),
            name: entity.0.to_owned(),
            href: String::new(),
            kind: entity.1.key(),
            label_x: CENTRE_X,
            anchor: "middle",
            far: false,
        },
        nodes: Vec::new(),
        lines: Vec::new(),
        more: Vec::new(),
        kinds: Vec::new(),
    };
    picture.kinds.push(entity.1);
    for (rows, side) in [(left, -1), (right, 1)] {
        let anchor = if side < 0 { "end" } else { "start" };
        let mut near_at = (0, 0);
        for (position, row) in rows.iter().enumerate() {
            let y = TOP + ROW * position as i32 + ROW / 2;
            if position == MAX_ROWS {
                let hidden = rows[position..]
                    .iter()
                    .filter(|row| matches!(row, Row::Near(_)))
                    .count();
                let far_hidden = rows.len() - position - hidden;
                picture.more.push(More {
                    x: CENTRE_X + side * HOP_1,
                    y,
                    anchor,
                    count: hidden + far_hidden,
                });
                break;
            }
            match row {
                Row::Near(neighbour) => {
                    let x = CENTRE_X + side * HOP_1;
                    near_at = (x, y);
                    picture.lines.push(Line {
                        x1: CENTRE_X,
                        y1: centre_y,
                        x2: x,
                        y2: y,
                        title: neighbour.relation.clone(),
                        far: false,
                    });
                    picture.nodes.push(node(
                        x,
                        y,
                        8,
                        side,
                        &neighbour.name,
                        &neighbour.href,
                        neighbour.kind,
                        false,
                    ));
                    picture.kinds.push(neighbour.kind);
                }
                Row::Far((name, href, kind)) => {
                    let x = CENTRE_X + side * HOP_2;
                    picture.lines.push(Line {
                        x1: near_at.0,
                        y1: near_at.1,
                        x2: x,
                        y2: y,
                        title: String::new(),
                        far: true,
                    });
                    picture
                        .nodes
                        .push(node(x, y, 5, side, name, href, *kind, true));
                    picture.kinds.push(*kind);
                }
            }
        }
    }
    picture.kinds.sort();
    picture.kinds.dedup();
    picture
}

#[allow(clippy::too_many_arguments)]
fn node(x: i32, y: i32, r: i32, side: i32, name: &str, href: &str, kind: Kind, far: bool) -> Node {
    Node {
        x,
        y,
        r,
        label: super::truncate(name, if far { LABEL_CHARS - 4 } else { LABEL_CHARS }),
        name: name.to_owned(),
        href: href.to_owned(),
        kind: kind.key(),
        label_x: x + side * (r + 6),
        anchor: if side < 0 { "end" } else { "start" },
        far,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neighbours(count: usize, further: usize) -> Vec<Neighbour> {
        (0..count)
            .map(|i| Neighbour {
                name: format!("A rather long name of neighbour number {i}"),
                href: format!("/id/n{i}"),
                kind: if i % 2 == 0 {
                    Kind::Person
                } else {
                    Kind::Vendor
                },
                relation: "target".into(),
                further: (0..further)
                    .map(|j| {
                        (
                            format!("far {i}.{j}"),
                            format!("/id/f{i}-{j}"),
                            Kind::Country,
                        )
                    })
                    .collect(),
            })
            .collect()
    }

    /// Labels of one column never share a row; the columns' labels run away from each
    /// other and from the middle.
    fn assert_legible(picture: &Picture) {
        let mut rows: Vec<(i32, &str)> = picture
            .nodes
            .iter()
            .map(|node| (node.y, node.anchor))
            .collect();
        let before = rows.len();
        rows.sort();
        rows.dedup();
        assert_eq!(rows.len(), before, "two labels on one row of one column");
        for node in &picture.nodes {
            assert!(node.label.chars().count() <= LABEL_CHARS);
            assert!(node.y > 0 && node.y < picture.height);
            if node.anchor == "end" {
                assert!(node.label_x < picture.centre.x);
            } else {
                assert!(node.label_x > picture.centre.x);
            }
        }
    }

    #[test]
    fn a_few_neighbours_and_theirs_are_all_drawn() {
        let picture = draw(("Luca Casarini", Kind::Person), &neighbours(4, 3));
        assert_eq!(picture.nodes.len(), 4 + 12);
        assert!(picture.more.is_empty());
        assert_legible(&picture);
        assert!(picture.kinds.contains(&Kind::Country));
    }

    #[test]
    fn a_hub_is_cut_to_two_columns_and_says_how_many_more() {
        let picture = draw(("Italy", Kind::Country), &neighbours(500, 0));
        assert_eq!(picture.nodes.len(), 2 * MAX_ROWS);
        let more: usize = picture.more.iter().map(|more| more.count).sum();
        assert_eq!(more, 500 - 2 * MAX_ROWS);
        assert_legible(&picture);
    }

    #[test]
    fn no_neighbour_draws_the_entity_alone() {
        let picture = draw(("Alone", Kind::Other), &[]);
        assert!(picture.nodes.is_empty());
        assert!(picture.height > 0);
    }
}
