use waypost::Query;

#[waypost::get("/unsafe")]
async unsafe fn risky() {}

type Q = Query<Vec<(String, String)>>;

#[waypost::get("/many")]
#[allow(clippy::too_many_arguments)]
async fn many(
    _a: Q, _b: Q, _c: Q, _d: Q, _e: Q, _f: Q, _g: Q, _h: Q,
    _i: Q, _j: Q, _k: Q, _l: Q, _m: Q, _n: Q, _o: Q, _p: Q,
    _q: Q,
) {}

fn main() {}
