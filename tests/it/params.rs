//! Query strings are parsed once into each route's parameter type: a bad value or an
//! unknown key on an API route is a 400 that names the parameter and what it takes, and
//! changes nothing; pages take the links others make to them (extra keys, a language
//! they are not written in) without complaint.

use crate::support::{TOKEN, TestApp};
use axum::http::StatusCode;

#[tokio::test]
async fn a_bad_parameter_is_named_with_what_it_takes() {
    let app = TestApp::with_bundled_data();
    for (uri, says) in [
        (
            "/api/search?q=paragon&limit=abc",
            "`limit`: a number from 1 to 200 was expected, not `abc`",
        ),
        (
            "/api/search?q=paragon&limit=201",
            "`limit`: a number from 1 to 200 was expected, not `201`",
        ),
        ("/api/search?q=paragon&colour=red", "unknown field `colour`"),
        (
            "/api/search?q=paragon&limit=99999999999999999999999999999999999999999999999999",
            "was expected, not `9999999999999999999999999999999999999999…`",
        ),
        (
            "/api/search?q=paragon&colour=red",
            "`q`, `type`, `lang`, `limit`",
        ),
        (
            "/api/statistics?limit=-1",
            "`limit`: a number from 1 to 1000 was expected, not `-1`",
        ),
        ("/api/statistics?top=5", "unknown field `top`"),
        (
            "/api/path?from=luca-casarini&to=italy&max=0",
            "`max`: a number from 1 to 8 was expected, not `0`",
        ),
        (
            "/api/path?from=luca-casarini&too=italy",
            "unknown field `too`",
        ),
        (
            "/path?from=Luca+Casarini&to=Italy&max=nine",
            "`max`: a number from 1 to 8 was expected, not `nine`",
        ),
        (
            "/people?page=0",
            "`page`: a number from 1 to 100000 was expected, not `0`",
        ),
        (
            "/api/reports/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack?fromat=trig",
            "unknown field `fromat`",
        ),
    ] {
        let answer = app.get(uri, None).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.body
        );
        assert!(answer.body.contains(says), "{uri}: {}", answer.body);
        assert!(
            answer.body.contains(uri.split('?').next().unwrap()),
            "where: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn a_load_with_a_bad_flag_writes_nothing() {
    let app = TestApp::with_bundled_data();
    let before = app.get("/api/reports", None).await.body;
    // The seed report under another name: a new report, were it loaded.
    let report = include_str!(
        "../../data/reports/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack.yaml"
    )
    .replace(
        "id: report:italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack",
        "id: report:a-copy-of-the-seed",
    );
    let answer = app
        .post(
            "/api/reports?dry-run=maybe",
            Some("application/yaml"),
            Some(TOKEN),
            &report,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(answer.body.contains("`dry-run`"), "{}", answer.body);
    assert_eq!(app.get("/api/reports", None).await.body, before);
}

#[tokio::test]
async fn pages_take_the_links_others_make() {
    let app = TestApp::with_bundled_data();
    for uri in [
        "/id/italy?utm_source=newsletter",
        "/id/italy?lang=fr",
        "/people?lang=xx&ref=home",
        "/?fbclid=abc",
        "/search?q=paragon&from=home",
    ] {
        let answer = app.get(uri, Some("text/html")).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
        assert!(answer.body.contains("<html lang=\"en\">"), "{uri}");
    }
}
