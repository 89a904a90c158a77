#[path = "../gen_routes.rs"]
mod gen_routes;

fn main() {
    gen_routes::generate("waypost");
}
