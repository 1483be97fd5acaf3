//! The templates of `templates/`, one per page kind, all on `base.html`: each is a view and
//! the [`Layout`] around it (title, language, navigation, the words of the page's frame).
//! Rendering escapes every value unless a template says otherwise.

use super::Lang;
use super::entity::{EntityPage, Part};
use askama::Template;

/// The listings of the navigation: path segment, class, title in en, nl, it.
pub const LISTINGS: &[(&str, &str, [&str; 3])] = &[
    (
        "vendors",
        "Vendor",
        ["Vendors", "Leveranciers", "Fornitori"],
    ),
    ("products", "Product", ["Products", "Producten", "Prodotti"]),
    (
        "governments",
        "Government",
        ["Governments", "Overheden", "Governi"],
    ),
    ("agencies", "Agency", ["Agencies", "Diensten", "Agenzie"]),
    ("people", "Person", ["People", "Personen", "Persone"]),
    (
        "organizations",
        "Organization",
        ["Organisations", "Organisaties", "Organizzazioni"],
    ),
    (
        "platforms",
        "Platform",
        ["Platforms", "Platformen", "Piattaforme"],
    ),
    (
        "incidents",
        "Incident",
        ["Incidents", "Incidenten", "Incidenti"],
    ),
    ("reports", "Report", ["Reports", "Rapporten", "Rapporti"]),
];

/// The words of the pages' frame and headings, in one language.
pub struct Ui {
    pub skip: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub browse: &'static str,
    pub connections: &'static str,
    pub language: &'static str,
    pub footer: &'static str,
    pub also_known_as: &'static str,
    pub on_this_page: &'static str,
    pub details: &'static str,
    pub mentioned_in: &'static str,
    pub timeline: &'static str,
    pub according_to: &'static str,
    pub original: &'static str,
    pub per: &'static str,
    pub and: &'static str,
    pub more: &'static str,
    pub all_in_sparql: &'static str,
    pub statuses: &'static str,
    pub statuses_intro: &'static str,
    pub other_formats: &'static str,
    pub query_in_sparql: &'static str,
    pub picture_title: &'static str,
    pub report_claims: &'static str,
    pub more_claims: &'static str,
    pub names: &'static str,
}

const EN: Ui = Ui {
    skip: "Skip to the content",
    search: "Search",
    search_placeholder: "A name, in any language",
    browse: "Browse",
    connections: "Connections",
    language: "Language",
    footer: "Every relationship is shown with the report that states it and the status that report gives it.",
    also_known_as: "Also known as",
    on_this_page: "On this page",
    details: "Details",
    mentioned_in: "Mentioned in",
    timeline: "Timeline",
    according_to: "according to",
    original: "original",
    per: "per",
    and: "and",
    more: "more",
    all_in_sparql: "all of them in SPARQL",
    statuses: "What the statuses mean",
    statuses_intro: "Each status is the one the cited report gives the claim; spyatlas never raises it.",
    other_formats: "Also as",
    query_in_sparql: "Query this in SPARQL",
    picture_title: "Who and what is linked to",
    report_claims: "What the report states",
    more_claims: "The report states more than one page shows:",
    names: "Who and what it names",
};

const NL: Ui = Ui {
    skip: "Naar de inhoud",
    search: "Zoeken",
    search_placeholder: "Een naam, in welke taal ook",
    browse: "Bladeren",
    connections: "Verbanden",
    language: "Taal",
    footer: "Elk verband staat er met het rapport dat het vermeldt en de status die dat rapport eraan geeft.",
    also_known_as: "Ook bekend als",
    on_this_page: "Op deze pagina",
    details: "Gegevens",
    mentioned_in: "Vermeld in",
    timeline: "Tijdlijn",
    according_to: "volgens",
    original: "origineel",
    per: "volgens",
    and: "en",
    more: "meer",
    all_in_sparql: "allemaal in SPARQL",
    statuses: "Wat de statussen betekenen",
    statuses_intro: "Elke status is die welke het geciteerde rapport aan de bewering geeft; spyatlas verhoogt ze nooit.",
    other_formats: "Ook als",
    query_in_sparql: "Bevraag dit in SPARQL",
    picture_title: "Wie en wat verbonden is met",
    report_claims: "Wat het rapport stelt",
    more_claims: "Het rapport stelt meer dan één pagina toont:",
    names: "Wie en wat het noemt",
};

const IT: Ui = Ui {
    skip: "Vai al contenuto",
    search: "Cerca",
    search_placeholder: "Un nome, in qualsiasi lingua",
    browse: "Sfoglia",
    connections: "Collegamenti",
    language: "Lingua",
    footer: "Ogni relazione è mostrata con il rapporto che la afferma e lo stato che quel rapporto le dà.",
    also_known_as: "Noto anche come",
    on_this_page: "In questa pagina",
    details: "Dati",
    mentioned_in: "Citato in",
    timeline: "Cronologia",
    according_to: "secondo",
    original: "originale",
    per: "secondo",
    and: "e altri",
    more: "",
    all_in_sparql: "tutti in SPARQL",
    statuses: "Che cosa significano gli stati",
    statuses_intro: "Ogni stato è quello che il rapporto citato dà all'affermazione; spyatlas non lo promuove mai.",
    other_formats: "Anche come",
    query_in_sparql: "Interroga in SPARQL",
    picture_title: "Chi e che cosa è collegato a",
    report_claims: "Che cosa afferma il rapporto",
    more_claims: "Il rapporto afferma più di quanto mostri una pagina:",
    names: "Chi e che cosa nomina",
};

/// The frame's words in `language`.
pub fn ui(language: Lang) -> &'static Ui {
    match language {
        Lang::En => &EN,
        Lang::Nl => &NL,
        Lang::It => &IT,
    }
}

/// A link of the navigation.
pub struct NavItem {
    pub href: String,
    pub title: &'static str,
    pub current: bool,
}

/// A language of the switch.
pub struct LanguageItem {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// What every page has around its content.
pub struct Layout {
    pub lang: Lang,
    pub title: String,
    pub ui: &'static Ui,
    pub nav: Vec<NavItem>,
    pub languages: Vec<LanguageItem>,
    /// `?lang=nl` for links that keep the language, empty for English.
    pub lang_query: String,
    /// Other representations of the page: media type, address.
    pub alternates: Vec<(&'static str, String)>,
    /// Stylesheets of this page beside the common one.
    pub stylesheets: Vec<&'static str>,
}

impl Layout {
    /// The frame of a page at `path`, with its query string but no `lang` (the language
    /// switch adds it); `current` names the navigation entry the page belongs to.
    pub fn new(language: Lang, title: impl Into<String>, path: &str, current: &str) -> Layout {
        let ui = ui(language);
        let lang_query = if language == Lang::En {
            String::new()
        } else {
            format!("?lang={language}")
        };
        let mut nav: Vec<NavItem> = LISTINGS
            .iter()
            .map(|(segment, _, titles)| NavItem {
                href: format!("/{segment}{lang_query}"),
                title: titles[language.index()],
                current: *segment == current,
            })
            .collect();
        nav.push(NavItem {
            href: format!("/path{lang_query}"),
            title: ui.connections,
            current: current == "path",
        });
        nav.push(NavItem {
            href: "/sparql".into(),
            title: "SPARQL",
            current: current == "sparql",
        });
        let languages = Lang::ALL
            .into_iter()
            .map(|other| LanguageItem {
                code: other.code(),
                name: other.name(),
                href: format!(
                    "{path}{}lang={other}",
                    if path.contains('?') { '&' } else { '?' }
                ),
                current: other == language,
            })
            .collect();
        Layout {
            lang: language,
            title: title.into(),
            ui,
            nav,
            languages,
            lang_query,
            alternates: Vec::new(),
            stylesheets: Vec::new(),
        }
    }
}

/// An entity's or a report's page.
#[derive(Template)]
#[template(path = "entity.html")]
pub struct EntityTemplate<'a> {
    pub layout: Layout,
    pub ui: &'static Ui,
    pub page: &'a EntityPage,
}

impl<'a> EntityTemplate<'a> {
    pub fn new(page: &'a EntityPage) -> Self {
        let mut layout = Layout::new(page.language, page.name.clone(), &page.path, "");
        for (media_type, format) in [
            ("text/turtle", "turtle"),
            ("application/ld+json", "jsonld"),
            ("application/n-triples", "nt"),
            ("application/json", "json"),
        ] {
            layout
                .alternates
                .push((media_type, format!("{}?format={format}", page.path)));
        }
        EntityTemplate {
            layout,
            ui: ui(page.language),
            page,
        }
    }
}

/// Renders a template. Rendering only writes to a string, which cannot fail; an error
/// would be a bug in a template, logged, with a short page in its place.
pub fn render(template: &impl Template) -> String {
    template.render().unwrap_or_else(|error| {
        tracing::error!(%error, "a page template failed to render");
        "<!DOCTYPE html><title>spyatlas</title><p>This page could not be shown; the server log has the details.</p>".to_owned()
    })
}

/// The words of the front page.
pub struct HomeWords {
    pub lede: &'static str,
    pub holds: &'static str,
    pub latest: &'static str,
    pub loaded: &'static str,
    pub in_numbers: &'static str,
    pub counted_over: &'static str,
    pub still_counting: &'static str,
    pub incidents_per_vendor: &'static str,
    pub vendor: &'static str,
    pub incidents: &'static str,
    pub per_year: &'static str,
    pub count: &'static str,
    pub targets_per_country: &'static str,
    pub country: &'static str,
    pub reports_per_publisher: &'static str,
    pub publisher: &'static str,
}

/// The front page's words in `language`.
pub fn home_words(language: Lang) -> &'static HomeWords {
    match language {
        Lang::En => &HomeWords {
            lede: "Who builds spyware, who buys it, who was targeted, through which platform, and which report says so.",
            holds: "What it holds",
            latest: "Latest reports",
            loaded: "loaded",
            in_numbers: "In numbers",
            counted_over: "Counted over every claim, whatever the status its report gives it: each page shows the claims with their statuses and reports. As JSON:",
            still_counting: "Still being counted: the figures may be short for a few seconds.",
            incidents_per_vendor: "Incidents per vendor",
            vendor: "Vendor",
            incidents: "Incidents",
            per_year: "Per year",
            count: "Count",
            targets_per_country: "Named targets per country",
            country: "Country",
            reports_per_publisher: "Reports per publisher",
            publisher: "Publisher",
        },
        Lang::Nl => &HomeWords {
            lede: "Wie spyware bouwt, wie ze koopt, wie het doelwit was, via welk platform, en welk rapport dat zegt.",
            holds: "Wat het bevat",
            latest: "Laatste rapporten",
            loaded: "geladen",
            in_numbers: "In cijfers",
            counted_over: "Geteld over elke bewering, welke status haar rapport er ook aan geeft: elke pagina toont de beweringen met hun statussen en rapporten. Als JSON:",
            still_counting: "Wordt nog geteld: de cijfers kunnen enkele seconden te laag zijn.",
            incidents_per_vendor: "Incidenten per leverancier",
            vendor: "Leverancier",
            incidents: "Incidenten",
            per_year: "Per jaar",
            count: "Aantal",
            targets_per_country: "Genoemde doelwitten per land",
            country: "Land",
            reports_per_publisher: "Rapporten per uitgever",
            publisher: "Uitgever",
        },
        Lang::It => &HomeWords {
            lede: "Chi costruisce spyware, chi lo compra, chi è stato preso di mira, attraverso quale piattaforma, e quale rapporto lo dice.",
            holds: "Che cosa contiene",
            latest: "Ultimi rapporti",
            loaded: "caricato",
            in_numbers: "In cifre",
            counted_over: "Contati su ogni affermazione, qualunque stato le dia il suo rapporto: ogni pagina mostra le affermazioni con i loro stati e rapporti. In JSON:",
            still_counting: "Conteggio in corso: le cifre possono essere basse per qualche secondo.",
            incidents_per_vendor: "Incidenti per fornitore",
            vendor: "Fornitore",
            incidents: "Incidenti",
            per_year: "Per anno",
            count: "Numero",
            targets_per_country: "Bersagli nominati per paese",
            country: "Paese",
            reports_per_publisher: "Rapporti per editore",
            publisher: "Editore",
        },
    }
}

/// A kind of entity on the front page, with how many there are.
pub struct CountItem {
    pub href: String,
    pub title: &'static str,
    pub count: usize,
}

/// A report on the front page.
pub struct LatestReport {
    pub href: String,
    pub title: String,
    pub loaded: String,
}

/// A row of a table of figures.
pub struct FigureRow {
    pub href: Option<String>,
    pub label: String,
    pub count: usize,
}

/// A vendor's incidents, in all and per year (`2024: 3, 2025: 1`).
pub struct VendorFigures {
    pub href: Option<String>,
    pub label: String,
    pub total: usize,
    pub years: String,
}

/// A table of figures.
pub struct FigureTable {
    pub title: &'static str,
    pub header: &'static str,
    pub rows: Vec<FigureRow>,
}

/// The front page.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomeTemplate {
    pub layout: Layout,
    pub text: &'static HomeWords,
    pub counts: Vec<CountItem>,
    pub latest: Vec<LatestReport>,
    pub complete: bool,
    pub vendors: Vec<VendorFigures>,
    pub tables: Vec<FigureTable>,
}

/// The words of listings.
pub struct ListingWords {
    pub being_built: &'static str,
    pub none_yet: &'static str,
    pub pages: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
}

/// The listings' words in `language`.
pub fn listing_words(language: Lang) -> &'static ListingWords {
    match language {
        Lang::En => &ListingWords {
            being_built: "The index of names is being built: this list may be short for a few seconds.",
            none_yet: "None yet.",
            pages: "Pages",
            previous: "previous",
            next: "next",
        },
        Lang::Nl => &ListingWords {
            being_built: "De index van namen wordt opgebouwd: deze lijst kan enkele seconden onvolledig zijn.",
            none_yet: "Nog geen.",
            pages: "Pagina's",
            previous: "vorige",
            next: "volgende",
        },
        Lang::It => &ListingWords {
            being_built: "L'indice dei nomi è in costruzione: questo elenco può essere incompleto per qualche secondo.",
            none_yet: "Ancora nessuno.",
            pages: "Pagine",
            previous: "precedente",
            next: "successiva",
        },
    }
}

/// Every entity of one kind, a page at a time.
#[derive(Template)]
#[template(path = "listing.html")]
pub struct ListingTemplate {
    pub layout: Layout,
    pub text: &'static ListingWords,
    pub total: usize,
    pub complete: bool,
    /// Page address and name of each entity.
    pub entries: Vec<(String, String)>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// The words of the search page.
pub struct SearchWords {
    pub being_built: &'static str,
    pub nothing_found: &'static str,
    pub as_: &'static str,
}

/// The search page's words in `language`.
pub fn search_words(language: Lang) -> &'static SearchWords {
    match language {
        Lang::En => &SearchWords {
            being_built: "The search index is being built: some names may be missing for a few seconds.",
            nothing_found: "Nothing found.",
            as_: "as",
        },
        Lang::Nl => &SearchWords {
            being_built: "De zoekindex wordt opgebouwd: sommige namen kunnen enkele seconden ontbreken.",
            nothing_found: "Niets gevonden.",
            as_: "als",
        },
        Lang::It => &SearchWords {
            being_built: "L'indice di ricerca è in costruzione: alcuni nomi possono mancare per qualche secondo.",
            nothing_found: "Nessun risultato.",
            as_: "come",
        },
    }
}

/// A search result.
pub struct SearchHit {
    pub href: String,
    pub label: String,
    /// Its kinds, named.
    pub kinds: String,
    /// The name that matched, and its language, when it is not the label shown.
    pub via: Option<(String, Option<String>)>,
}

/// The search page: the box, and the results when something was searched.
#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchTemplate {
    pub layout: Layout,
    pub words: &'static SearchWords,
    pub text: String,
    pub complete: bool,
    pub hits: Option<Vec<SearchHit>>,
}

/// The words of the page of an unknown entity.
pub struct NotFoundWords {
    pub nothing_known: &'static str,
    pub did_you_mean: &'static str,
}

/// The words of a page of an unknown entity in `language`.
pub fn not_found_words(language: Lang) -> &'static NotFoundWords {
    match language {
        Lang::En => &NotFoundWords {
            nothing_known: "Nothing is known as",
            did_you_mean: "Did you mean:",
        },
        Lang::Nl => &NotFoundWords {
            nothing_known: "Niets is bekend als",
            did_you_mean: "Bedoelde u:",
        },
        Lang::It => &NotFoundWords {
            nothing_known: "Niente è noto come",
            did_you_mean: "Forse cercavi:",
        },
    }
}

/// The page of an entity or report nothing is known about.
#[derive(Template)]
#[template(path = "not_found.html")]
pub struct NotFoundTemplate {
    pub layout: Layout,
    pub words: &'static NotFoundWords,
    pub slug: String,
    /// The slug as search words, URL-encoded.
    pub query: String,
    /// Page address and name of entities with a similar name.
    pub suggestions: Vec<(String, String)>,
}

/// The form of a named query.
#[derive(Template)]
#[template(path = "named.html")]
pub struct NamedQueryTemplate<'a> {
    pub layout: Layout,
    pub query: &'a crate::queries::NamedQuery,
    /// Name, kind and description of each parameter.
    pub params: Vec<(String, String, String)>,
}

/// The path page.
#[derive(Template)]
#[template(path = "path.html")]
pub struct PathTemplate {
    pub layout: Layout,
    pub words: &'static super::path::PathWords,
    pub page: super::path::PathPage,
}

/// The query page: YASGUI, with the named queries as examples, and a plain form for
/// browsers without scripts.
#[derive(Template)]
#[template(path = "sparql.html")]
pub struct SparqlTemplate {
    pub layout: Layout,
    pub query: String,
    /// The named queries as examples, and the editor's settings (the query, whether it
    /// runs at once, the prefixes): JSON safe inside a script element.
    pub examples: String,
    pub settings: String,
}

/// An error, for a browser: what went wrong, in the server's words, and where to go on.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorTemplate {
    pub layout: Layout,
    pub status: u16,
    pub heading: &'static str,
    pub message: String,
}

/// The heading of an error page for an HTTP status, in `language`.
pub fn error_heading(status: u16, language: Lang) -> &'static str {
    let [en, nl, it] = match status {
        400 => [
            "The request cannot be answered",
            "Het verzoek kan niet beantwoord worden",
            "La richiesta non può avere risposta",
        ],
        401 | 403 => ["Not allowed", "Niet toegestaan", "Non consentito"],
        404 => ["Nothing here", "Hier is niets", "Qui non c'è niente"],
        406 | 415 => [
            "Not in that format",
            "Niet in dat formaat",
            "Non in quel formato",
        ],
        413 => ["Too large", "Te groot", "Troppo grande"],
        429 => ["Too many requests", "Te veel verzoeken", "Troppe richieste"],
        503 => [
            "Busy, or taking too long",
            "Bezet, of het duurt te lang",
            "Occupato, o ci vuole troppo",
        ],
        _ if status >= 500 => [
            "Something went wrong",
            "Er ging iets mis",
            "Qualcosa è andato storto",
        ],
        _ => [
            "The request cannot be answered",
            "Het verzoek kan niet beantwoord worden",
            "La richiesta non può avere risposta",
        ],
    };
    [en, nl, it][language.index()]
}
