//! Cookies over real TCP: several `Set-Cookie` headers, removal, signed and
//! private jars that read a tampered or foreign cookie as absent, and the
//! key checked when the app is built.

mod common;

use common::Connection;
use waypost::{
    get, routes, App, BuildError, Cookie, CookieJar, CookieKey, HeaderMap, PrivateCookieJar,
    SignedCookieJar,
};

#[get("/login")]
async fn login(jar: CookieJar) -> (CookieJar, &'static str) {
    let jar = jar.add(Cookie::new("session", "s 1")).add(
        Cookie::build(("theme", "dark"))
            .http_only(false)
            .path("/ui"),
    );
    (jar, "logged in")
}

#[get("/logout")]
async fn logout(jar: CookieJar) -> (CookieJar, String) {
    let had = jar.get("session").map(|c| c.value().to_owned());
    (jar.remove(Cookie::from("session")), format!("bye {had:?}"))
}

#[get("/private/set")]
async fn private_set(jar: PrivateCookieJar) -> (PrivateCookieJar, &'static str) {
    (jar.add(Cookie::new("user", "ada lovelace")), "set")
}

#[get("/private/get")]
async fn private_get(jar: PrivateCookieJar) -> String {
    match jar.get("user") {
        Some(cookie) => cookie.value().to_owned(),
        None => "absent".to_owned(),
    }
}

#[get("/signed/set")]
async fn signed_set(jar: SignedCookieJar) -> (SignedCookieJar, &'static str) {
    (jar.add(Cookie::new("nickname", "admin")), "set")
}

#[get("/signed/role")]
async fn signed_role(jar: SignedCookieJar) -> String {
    match jar.get("role") {
        Some(cookie) => cookie.value().to_owned(),
        None => "absent".to_owned(),
    }
}

#[get("/forget")]
async fn forget(jar: CookieJar) -> (CookieJar, &'static str) {
    (jar.remove(Cookie::from("__Host-session")), "forgotten")
}

#[get("/signed/get")]
async fn signed_get(jar: SignedCookieJar) -> String {
    match jar.get("user") {
        Some(cookie) => cookie.value().to_owned(),
        None => "absent".to_owned(),
    }
}

/// Headers around a jar: a `Set-Cookie` of their own adds to the jar's.
#[get("/around/array")]
async fn around_array(
    jar: CookieJar,
) -> ([(&'static str, &'static str); 2], (CookieJar, &'static str)) {
    let jar = jar.add(Cookie::new("jar", "1"));
    (
        [("set-cookie", "outer=1"), ("x-outer", "yes")],
        (jar, "both"),
    )
}

#[get("/around/map")]
async fn around_map(jar: CookieJar) -> (HeaderMap, (CookieJar, &'static str)) {
    let mut headers = HeaderMap::new();
    headers.append("set-cookie", "outer=1".parse().unwrap());
    headers.append("set-cookie", "outer2=1".parse().unwrap());
    (headers, (jar.add(Cookie::new("jar", "1")), "all"))
}

fn app(key: CookieKey) -> App {
    App::new().state(key).mount(
        "/",
        routes![
            login,
            logout,
            private_set,
            private_get,
            signed_set,
            signed_role,
            signed_get,
            forget,
            around_array,
            around_map
        ],
    )
}

async fn get(connection: &mut Connection, path: &str, cookie: Option<&str>) -> common::RawResponse {
    let cookie = cookie
        .map(|c| format!("cookie: {c}\r\n"))
        .unwrap_or_default();
    connection
        .send(format!("GET {path} HTTP/1.1\r\nhost: test\r\n{cookie}\r\n").as_bytes())
        .await;
    connection.read_response(false).await
}

fn set_cookies(response: &common::RawResponse) -> Vec<String> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.clone())
        .collect()
}

/// `name=value` of a `Set-Cookie` header, as a client sends it back.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn headers_around_a_jar_add_their_cookies_to_its_own() {
    let addr = common::spawn(app(CookieKey::generate())).await;
    let mut connection = Connection::open(addr).await;
    let response = get(&mut connection, "/around/array", None).await;
    let mut names: Vec<String> = set_cookies(&response).iter().map(|c| pair(c)).collect();
    names.sort();
    assert_eq!(names, ["jar=1", "outer=1"]);
    let response = get(&mut connection, "/around/map", None).await;
    let mut names: Vec<String> = set_cookies(&response).iter().map(|c| pair(c)).collect();
    names.sort();
    assert_eq!(names, ["jar=1", "outer2=1", "outer=1"]);
}

#[tokio::test]
async fn a_jar_sets_several_cookies_with_safe_defaults_and_removes_them() {
    let addr = common::spawn(app(CookieKey::generate())).await;
    let mut connection = Connection::open(addr).await;

    let response = get(&mut connection, "/login", None).await;
    assert_eq!(response.status, 200);
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    let session = cookies.iter().find(|c| c.starts_with("session=")).unwrap();
    // Percent-encoded; HttpOnly, SameSite=Lax, Path=/ by default; no Secure over plain TCP.
    assert_eq!(session, "session=s%201; HttpOnly; SameSite=Lax; Path=/");
    let theme = cookies.iter().find(|c| c.starts_with("theme=")).unwrap();
    assert_eq!(
        theme, "theme=dark; SameSite=Lax; Path=/ui",
        "what is set is kept"
    );

    let response = get(&mut connection, "/logout", Some("session=s%201; other=x")).await;
    assert_eq!(String::from_utf8_lossy(&response.body), "bye Some(\"s 1\")");
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert!(cookies[0].starts_with("session=;"), "{cookies:?}");
    assert!(cookies[0].contains("Max-Age=0"), "{cookies:?}");
    assert!(cookies[0].contains("Path=/"), "{cookies:?}");

    // A malformed `Cookie` header is skipped, not an error.
    let response = get(&mut connection, "/logout", Some(";;=;garbage; =x; a")).await;
    assert_eq!(response.status, 200);
    assert_eq!(String::from_utf8_lossy(&response.body), "bye None");
}

#[tokio::test]
async fn private_and_signed_cookies_read_tampered_or_foreign_ones_as_absent() {
    let key = CookieKey::generate();
    let addr = common::spawn(app(key.clone())).await;
    let mut connection = Connection::open(addr).await;

    let response = get(&mut connection, "/private/set", None).await;
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert!(
        !cookies[0].contains("ada"),
        "a private cookie is encrypted: {cookies:?}"
    );
    let sent = pair(&cookies[0]);

    let response = get(&mut connection, "/private/get", Some(&sent)).await;
    assert_eq!(String::from_utf8_lossy(&response.body), "ada lovelace");

    // One letter of the encrypted value changed, to another base64 letter,
    // so that the cookie still parses and reaches the decryption. The value
    // is random, so the first letter from the middle on is the one changed
    // (the middle itself may be `+` or `/`).
    let mut tampered = sent.clone().into_bytes();
    let value_start = sent.find('=').unwrap() + 1;
    let middle = value_start + (sent.len() - value_start) / 2;
    let letter = (middle..tampered.len())
        .find(|&i| tampered[i].is_ascii_alphanumeric())
        .unwrap_or_else(|| panic!("no letter in the second half of {sent}"));
    tampered[letter] = if tampered[letter] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let response = get(&mut connection, "/private/get", Some(&tampered)).await;
    assert_eq!(String::from_utf8_lossy(&response.body), "absent");

    // Made by another app with another key.
    let other = common::spawn(app(CookieKey::generate())).await;
    let mut other_connection = Connection::open(other).await;
    let foreign = pair(&set_cookies(&get(&mut other_connection, "/private/set", None).await)[0]);
    let response = get(&mut connection, "/private/get", Some(&foreign)).await;
    assert_eq!(String::from_utf8_lossy(&response.body), "absent");

    // A plain cookie of that name is not signed: absent too.
    let response = get(&mut connection, "/signed/get", Some("user=ada")).await;
    assert_eq!(String::from_utf8_lossy(&response.body), "absent");

    // A signed value moved to another name does not verify there.
    let signed = pair(&set_cookies(&get(&mut connection, "/signed/set", None).await)[0]);
    assert!(signed.starts_with("nickname="), "{signed}");
    let moved = signed.replacen("nickname=", "role=", 1);
    let response = get(&mut connection, "/signed/role", Some(&moved)).await;
    assert_eq!(String::from_utf8_lossy(&response.body), "absent");
}

#[tokio::test]
async fn removing_a_cookie_the_request_lacks_still_deletes_it() {
    let addr = common::spawn(app(CookieKey::generate())).await;
    let mut connection = Connection::open(addr).await;
    let response = get(&mut connection, "/forget", None).await;
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert!(cookies[0].starts_with("__Host-session=;"), "{cookies:?}");
    assert!(cookies[0].contains("Max-Age=0"), "{cookies:?}");
    // A `__Host-` cookie is only accepted, its removal included, with `Secure`.
    assert!(cookies[0].contains("Secure"), "{cookies:?}");
}

#[test]
fn keyed_jars_need_a_key_in_the_app_state() {
    let error = App::new()
        .mount("/", routes![private_get])
        .build()
        .err()
        .expect("a private jar without a key must not build");
    assert!(
        matches!(&error, BuildError::MissingState { type_name, .. } if type_name.contains("Key")),
        "{error}"
    );
}
