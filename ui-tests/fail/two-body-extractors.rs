use waypost::Json;

#[waypost::post("/notes")]
async fn create(Json(note): Json<String>, raw: String) -> String {
    format!("{note} {raw}")
}

fn main() {}
