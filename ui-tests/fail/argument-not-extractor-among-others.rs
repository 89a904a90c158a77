use waypost::Json;

struct Config {
    verbose: bool,
}

#[waypost::post("/")]
async fn index(config: Config, Json(body): Json<String>) -> String {
    format!("{} {body}", config.verbose)
}

fn main() {}
