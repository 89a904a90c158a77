//! Which field a deserialization error is about.

/// The offending field of a `serde_path_to_error` failure at `path`.
///
/// serde reports a missing or repeated field at the object that lacks or
/// repeats it: `missing field `text`` at `.` is the field `text`, and at
/// `user` it is `user.text`.
pub(crate) fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    match named {
        Some(name) if path == "." => name.to_owned(),
        Some(name) => format!("{path}.{name}"),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn missing_and_repeated_fields_are_named_where_they_belong() {
        assert_eq!(field_of(".", "missing field `name`"), "name");
        assert_eq!(field_of("user", "missing field `age`"), "user.age");
        assert_eq!(field_of(".", "duplicate field `offset`"), "offset");
        assert_eq!(
            field_of("items[1].price", "invalid type: string"),
            "items[1].price"
        );
        assert_eq!(field_of(".", "invalid length 3"), ".");
    }
}
