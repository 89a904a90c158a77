// Clients remove `.` and `..` segments before they send a path: such a
// route could never match, however the dots are spelled.
#[waypost::get("/files/../secret")]
async fn secret() {}

#[waypost::get("/files/%2e/list")]
async fn list() {}

fn main() {}
