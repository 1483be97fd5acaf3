//! Every page kind on the bundled data, as HTML snapshots (`tests/it/snapshots/`): a change
//! to what a page shows is seen and reviewed as a change to its snapshot. And what every
//! page shares: one stylesheet from this server, the frame, escaped values, sentences for
//! relationships and a legend of the statuses they carry.

use crate::support::TestApp;
use axum::http::StatusCode;

const SEED: &str = "italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack";

/// The page kinds, by a name for their snapshot and their address.
const PAGES: &[(&str, &str)] = &[
    ("front", "/"),
    ("front_nl", "/?lang=nl"),
    ("listing_people", "/people"),
    ("entity_person", "/id/luca-casarini"),
    ("entity_person_it", "/id/luca-casarini?lang=it"),
    (
        "entity_incident",
        "/id/paragon-spyware-attacks-on-whatsapp-users-2024",
    ),
    ("entity_vendor", "/id/paragon-solutions"),
    ("entity_country_nl", "/id/italy?lang=nl"),
    (
        "report",
        "/report/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack",
    ),
    ("search", "/search?q=paragon"),
    ("path", "/path?from=luca-casarini&to=paragon-solutions"),
    ("path_by_name", "/path?from=Husam+El+Gomati&to=WhatsApp"),
    ("named_query", "/queries/entity_statements"),
    ("sparql", "/sparql"),
    ("not_found", "/id/paragon-solution"),
    (
        "error_bad_request",
        "/path?from=luca-casarini&to=italy&max=99",
    ),
    ("error_no_route", "/id/luca-casarini/more"),
];

/// Masks what changes from one load to the next (when each report was loaded: a date
/// with a clock time, `2026-12-03T09:00:00Z`), so that a snapshot shows only what the
/// data says. Dates from reports have no clock time and stay.
fn stable(body: &str) -> String {
    let bytes = body.as_bytes();
    let is_digits = |from: usize, count: usize| {
        bytes
            .get(from..from + count)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    let mut out = String::with_capacity(body.len());
    let mut at = 0;
    let mut copied = 0;
    while at < bytes.len() {
        // YYYY-MM-DDTHH:MM:SS
        let stamp = is_digits(at, 4)
            && bytes.get(at + 4) == Some(&b'-')
            && is_digits(at + 5, 2)
            && bytes.get(at + 7) == Some(&b'-')
            && is_digits(at + 8, 2)
            && bytes.get(at + 10) == Some(&b'T')
            && is_digits(at + 11, 2)
            && bytes.get(at + 13) == Some(&b':');
        if !stamp {
            at += 1;
            continue;
        }
        let mut end = at + 11;
        while end < bytes.len()
            && (bytes[end].is_ascii_digit() || matches!(bytes[end], b':' | b'.' | b'Z' | b'+'))
        {
            end += 1;
        }
        out.push_str(&body[copied..at]);
        out.push_str("[loaded at]");
        copied = end;
        at = end;
    }
    out.push_str(&body[copied..]);
    out
}

#[tokio::test]
async fn every_page_kind_matches_its_snapshot() {
    let app = TestApp::with_bundled_data();
    for (name, address) in PAGES {
        let response = app.get(address, Some("text/html")).await;
        let expected = match *name {
            "not_found" | "error_no_route" => StatusCode::NOT_FOUND,
            "error_bad_request" => StatusCode::BAD_REQUEST,
            _ => StatusCode::OK,
        };
        assert_eq!(response.status, expected, "{address}: {}", response.body);
        insta::assert_snapshot!(*name, stable(&response.body));
    }
}

#[tokio::test]
async fn every_page_has_the_frame_and_the_stylesheet_of_this_server_only() {
    let app = TestApp::with_bundled_data();
    for (_, address) in PAGES {
        let body = app.get(address, Some("text/html")).await.body;
        assert!(body.starts_with("<!DOCTYPE html>"), "{address}");
        assert!(
            body.contains("<link rel=\"stylesheet\" href=\"/assets/spyatlas.css\">"),
            "{address}"
        );
        assert!(body.contains("<main id=\"main\""), "{address}");
        assert!(body.contains("<nav aria-label="), "{address}");
        assert!(!body.contains("<style"), "no inline style: {address}");
        for outside in ["src=\"http", "href=\"//", "src=\"//", "@import"] {
            assert!(!body.contains(outside), "{address} loads {outside}");
        }
    }
    let css = app.get("/assets/spyatlas.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.body.contains("@media print"), "print-friendly");
    assert!(
        css.body.contains("@media (min-width"),
        "a layout for wide screens"
    );
    assert!(!css.body.contains("url(http"), "nothing from elsewhere");
    let script = app.get("/assets/suggest.js", None).await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.body.contains("/api/search"));
}

#[tokio::test]
async fn relationships_read_as_sentences_grouped_by_topic_with_a_legend() {
    let app = TestApp::with_bundled_data();
    let body = app.get("/id/luca-casarini", Some("text/html")).await.body;
    // The incident targeted him: a sentence, in the section about incidents, with the
    // incident linked and his name as the sentence's subject or object.
    let incidents = body
        .split("<h2 id=\"incidents\">")
        .nth(1)
        .expect("a section on incidents and targeting")
        .split("</section>")
        .next()
        .unwrap();
    assert!(incidents.contains("was targeted in"), "{incidents}");
    assert!(
        incidents.contains(
            "<a href=\"/id/paragon-spyware-attacks-on-whatsapp-users-2024\">Paragon spyware attacks on WhatsApp users (2024)</a>"
        ),
        "{incidents}"
    );
    // No heading names a property with "(of)".
    assert!(!body.contains("(of)"), "no inverse property names");
    // The legend explains every status, from the ontology.
    let legend = body.split("<h2 id=\"legend\">").nth(1).expect("a legend");
    for status in ["confirmed", "attributed", "reported", "alleged", "unknown"] {
        assert!(
            legend.contains(&format!("data-key=\"{status}\"")),
            "{status}"
        );
    }
    assert!(
        legend.contains("first-hand"),
        "definitions come with the words"
    );
    // In Dutch, the sentence and the frame are Dutch.
    let dutch = app
        .get("/id/luca-casarini?lang=nl", Some("text/html"))
        .await
        .body;
    assert!(dutch.contains("<html lang=\"nl\">"));
    assert!(dutch.contains("werd geviseerd bij"), "a Dutch sentence");
    assert!(
        dutch.contains("volgens <a href=\"/report/"),
        "the source, in Dutch"
    );
}

#[tokio::test]
async fn a_report_page_states_every_claim_of_its_report_with_its_status() {
    let app = TestApp::with_bundled_data();
    let body = app
        .get(&format!("/report/{SEED}"), Some("text/html"))
        .await
        .body;
    let claims = body
        .split("<h2 id=\"claims\">")
        .nth(1)
        .expect("the report's claims")
        .split("</section>")
        .next()
        .unwrap();
    // The claims name the targets and the vendor, as sentences with their badges.
    for name in ["Luca Casarini", "Husam El Gomati", "Paragon Solutions"] {
        assert!(claims.contains(name), "{name} in {claims}");
    }
    assert!(claims.contains("<span class=\"status\""), "badges");
    assert!(claims.matches("<li data-subject=").count() >= 20);
    // The report's own metadata: its publisher and date.
    assert!(body.contains("Data News"));
    assert!(body.contains("2025-02"));
    // The passages it quotes for its claims, in its language, once per claim however
    // many links the claim asserts (the incident asserts a dozen).
    let ninety = "Het gaat wereldwijd over negentig WhatsApp-gebruikers";
    assert_eq!(claims.matches(ninety).count(), 1, "{claims}");
    assert!(claims.contains(&format!(
        "<blockquote class=\"quote\" lang=\"nl\" cite=\"https://w3id.org/spyatlas/report/{SEED}\"><p>{ninety}"
    )));
    // Each of the three named targetings quotes the sentence naming them.
    let named = "Het gaat om de Italiaanse onderzoeksjournalist Francesco Cancellato";
    assert_eq!(claims.matches(named).count(), 3, "{claims}");
}

#[tokio::test]
async fn an_entity_page_quotes_the_report_beside_the_status_it_gives() {
    let app = TestApp::with_bundled_data();
    let body = app.get("/id/luca-casarini", Some("text/html")).await.body;
    // The targeting of Luca Casarini, reported by the article, and the sentence saying so.
    let item = body
        .split("<li ")
        .find(|item| {
            item.starts_with(
                "data-subject=\"https://w3id.org/spyatlas/id/luca-casarini-targeted-with-paragon-spyware\"",
            )
        })
        .expect("the targeting");
    assert!(item.contains("data-key=\"reported\""), "{item}");
    assert!(
        item.contains("<blockquote class=\"quote\" lang=\"nl\""),
        "{item}"
    );
    assert!(item.contains("twee activisten: Luca Casarini"), "{item}");
    // No passage comes twice.
    assert_eq!(body.matches("twee activisten: Luca Casarini").count(), 1);
}

#[tokio::test]
async fn the_path_page_takes_names_and_tells_each_hop_with_its_source() {
    let app = TestApp::with_bundled_data();
    let page = app
        .get(
            "/path?from=Luca+Casarini&to=Paragon+Solutions",
            Some("text/html"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let hops = page
        .body
        .split("<ol class=\"hops relationships\">")
        .nth(1)
        .expect("the hops")
        .split("</ol>")
        .next()
        .unwrap();
    assert!(hops.contains("targeted"), "{hops}");
    assert!(hops.contains(&format!("according to <a href=\"/report/{SEED}\">")));
    assert!(
        hops.contains("<span class=\"status\""),
        "each source with its status"
    );
    // Labels of the picture sit on rows of their own.
    let svg = page.body.split("<svg").nth(1).unwrap();
    let rows: Vec<&str> = svg
        .split("<text x=\"52\" y=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    let mut unique = rows.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(rows.len(), unique.len(), "two labels on one row: {rows:?}");
    // A name longer than any search takes is refused before it is searched for.
    let long = format!("/path?from={}&to=italy", "a".repeat(10_000));
    let refused = app.get(&long, Some("text/html")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("is longer than"), "{}", refused.body);
    // A name nothing is called is said plainly.
    let unknown = app
        .get("/path?from=Nobody+Known+At+All&to=italy", Some("text/html"))
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(
        unknown.body.contains("nothing known is called"),
        "{}",
        unknown.body
    );
}

#[tokio::test]
async fn values_from_the_store_and_the_request_are_escaped_on_every_page() {
    let app = TestApp::with_bundled_data();
    for address in [
        "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/path?from=%3Cscript%3E&to=%22%3E%3Cimg",
        "/id/%3Cscript%3E",
        "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%22%3C/textarea%3E%3Cscript%3E%22%7D",
    ] {
        let body = app.get(address, Some("text/html")).await.body;
        assert!(!body.contains("<script>"), "{address}: {body}");
        assert!(!body.contains("<img"), "{address}");
    }
}

#[tokio::test]
async fn errors_are_pages_for_browsers_and_plain_text_for_programs() {
    let app = TestApp::with_bundled_data();
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let page = app
        .get(
            "/api/path?from=luca-casarini&to=italy&max=99",
            Some(browser),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.content_type().starts_with("text/html"));
    assert!(
        page.body
            .contains("`max`: a number from 1 to 8 was expected, not `99`"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("/assets/spyatlas.css"),
        "in the site's frame"
    );
    let program = app
        .get("/api/path?from=luca-casarini&to=italy&max=99", None)
        .await;
    assert_eq!(program.status, StatusCode::BAD_REQUEST);
    assert!(program.content_type().starts_with("text/plain"));
    // An address no route serves; a message holding markup is escaped in the page.
    let nowhere = app.get("/id/a/%3Cscript%3E", Some(browser)).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert!(
        nowhere
            .body
            .contains("nothing is served at /id/a/%3Cscript%3E"),
        "{}",
        nowhere.body
    );
    let markup = app
        .get("/api/search?q=x&type=%3Cb%3Ebold%3C/b%3E", Some(browser))
        .await;
    assert_eq!(markup.status, StatusCode::BAD_REQUEST, "{}", markup.body);
    assert!(
        markup.body.contains("&#60;b&#62;bold&#60;/b&#62;") && !markup.body.contains("<b>"),
        "{}",
        markup.body
    );
    let dutch = app.get("/nowhere/at/all?lang=nl", Some(browser)).await;
    assert!(dutch.body.contains("Hier is niets"), "{}", dutch.body);
}

#[tokio::test]
async fn the_language_switch_keeps_what_was_asked() {
    let app = TestApp::with_bundled_data();
    let search = app.get("/search?q=paragon", Some("text/html")).await.body;
    assert!(
        search.contains("href=\"/search?q=paragon&#38;lang=nl\""),
        "{search}"
    );
    let path = app
        .get("/path?from=Luca+Casarini&to=italy", Some("text/html"))
        .await
        .body;
    assert!(
        path.contains("href=\"/path?from=Luca+Casarini&#38;to=italy&#38;lang=it\""),
        "{path}"
    );
    let entity = app.get("/id/italy", Some("text/html")).await.body;
    assert!(entity.contains("href=\"/id/italy?lang=nl\""), "{entity}");
}
