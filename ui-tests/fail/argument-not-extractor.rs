struct Config {
    verbose: bool,
}

#[waypost::get("/")]
async fn index(config: Config) -> String {
    config.verbose.to_string()
}

fn main() {}
