fn table() -> &'static [::waypost::__private::Route] {
    {
        const ROUTES: &[::waypost::__private::Route] = &[
            ::waypost::__private::route_of(&index),
            ::waypost::__private::route_of(&users::get_user),
        ];
        const CANDIDATES: [::waypost::__private::Candidate; ::waypost::__private::candidate_count(
            ROUTES,
        )] = ::waypost::__private::candidates(ROUTES);
        const CONFLICTS: [u32; 2usize] = ::waypost::__private::conflicts(
            ROUTES,
            &CANDIDATES,
        );
        const _: () = ::waypost::__private::assert_no_conflict(
            ROUTES,
            &CONFLICTS,
            1usize,
        );
        ROUTES
    }
}
