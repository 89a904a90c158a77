fn table() -> &'static [::waypost::__private::Route] {
    {
        const ROUTES: &[::waypost::__private::Route] = &[
            index::ROUTE,
            users::get_user::ROUTE,
        ];
        const _: () = ::waypost::__private::assert_no_conflict(ROUTES, 1usize);
        ROUTES
    }
}
