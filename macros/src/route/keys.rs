//! The keys `routes![]` groups routes by to find the pairs it compares
//! (`waypost_runtime`'s `overlap` module): computed here, natively, once per
//! route, so that constant evaluation only copies them.
//!
//! For a route's shape (`/users/<>/files/<..>`): the FNV-1a hash of the
//! shape before each parameter, kind 1 (or 2 before a catch-all), then the
//! hash of the whole shape, kind 0; the kind sits in the two low bits. Only
//! equality of keys matters, and only within one `routes![]`.

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;
const WHOLE: u64 = 0;
const BEFORE_PARAMETER: u64 = 1;
const BEFORE_CATCH_ALL: u64 = 2;

pub(crate) fn candidate_keys(shape: &str) -> Vec<u64> {
    let shape = shape.as_bytes();
    let mut keys = Vec::new();
    let mut hash = OFFSET_BASIS;
    for (i, &byte) in shape.iter().enumerate() {
        if byte == b'/' && shape.get(i + 1) == Some(&b'<') {
            let segment = shape[i + 1..]
                .split(|&b| b == b'/')
                .next()
                .unwrap_or_default();
            let kind = if segment.len() == 4 && segment.starts_with(b"<.") {
                BEFORE_CATCH_ALL
            } else {
                BEFORE_PARAMETER
            };
            keys.push((hash & !3) | kind);
        }
        hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME);
    }
    keys.push((hash & !3) | WHOLE);
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fnv_1a_of_the_shape_so_far_with_their_kind() {
        assert_eq!(
            candidate_keys("/users/<>/files/<..>"),
            [
                8_913_951_954_448_012_805,
                266_825_836_061_226_398,
                13_289_032_894_225_823_628,
            ]
        );
    }

    #[test]
    fn routes_meet_where_their_shapes_do() {
        let (param, catch_all) = (candidate_keys("/files/<>"), candidate_keys("/files/<..>"));
        // The same prefix, `/files`, before a parameter and a catch-all.
        assert_eq!(param[0] >> 2, catch_all[0] >> 2);
        assert_eq!(
            (param[0] & 3, catch_all[0] & 3),
            (BEFORE_PARAMETER, BEFORE_CATCH_ALL)
        );
        // Whole shapes differ.
        assert_ne!(param[1], catch_all[1]);
        assert_eq!(candidate_keys("/users/<>"), candidate_keys("/users/<>"));
    }

    #[test]
    fn a_literal_route_has_its_whole_shape_only() {
        assert_eq!(candidate_keys("/about").len(), 1);
        assert_eq!(candidate_keys("/about")[0] & 3, WHOLE);
    }
}
