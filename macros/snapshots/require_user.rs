/// Checks the bearer token.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug)]
pub struct require_user;
impl require_user {
    /// Checks the bearer token.
    pub async fn require_user<__WaypostRest: ::waypost::__private::Rest>(
        bearer: Bearer,
        mut req: Request,
        next: Next<__WaypostRest>,
    ) -> Result<Response, Problem> {
        req.extensions_mut().insert(User::from(bearer));
        Ok(next.run(req).await)
    }
    #[doc(hidden)]
    #[inline(always)]
    #[allow(clippy::inline_always, deprecated)]
    fn __waypost_shim<__WaypostRest: ::waypost::__private::Rest>(
        __waypost_call: ::core::option::Option<
            (::waypost::__private::Request, ::waypost::__private::Next<__WaypostRest>),
        >,
    ) -> (
        ::core::option::Option<
            impl ::core::future::Future<
                Output = ::waypost::__private::Response,
            > + ::core::marker::Send + 'static,
        >,
        fn(&mut ::waypost::__private::StateNeeds),
    ) {
        let needs_of: fn(&mut ::waypost::__private::StateNeeds) = |
            needs: &mut ::waypost::__private::StateNeeds|
        {
            ::waypost::__private::require_middleware_arg(
                ::waypost::__private::Type::<Bearer>,
                needs,
            );
        };
        (
            __waypost_call
                .map(|(request, next)| async move {
                    let mut request = request;
                    let arg_0 = match ::waypost::__private::middleware_arg(
                            ::waypost::__private::Type::<Bearer>,
                            request.parts_mut(),
                        )
                        .await
                    {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(response) => return response,
                    };
                    let output = require_user::require_user(arg_0, request, next).await;
                    ::waypost::__private::into_response::<
                        Result<Response, Problem>,
                    >(output)
                }),
            needs_of,
        )
    }
}
#[allow(deprecated)]
impl ::waypost::__private::Compose for require_user {
    #[inline]
    #[allow(clippy::option_if_let_else)]
    fn call_with<__WaypostRest: ::waypost::__private::Rest>(
        self,
        request: ::waypost::__private::Request,
        next: ::waypost::__private::Next<__WaypostRest>,
    ) -> impl ::core::future::Future<
        Output = ::waypost::__private::Response,
    > + ::core::marker::Send + 'static {
        match require_user::__waypost_shim::<
            __WaypostRest,
        >(::core::option::Option::Some((request, next)))
            .0
        {
            ::core::option::Option::Some(__waypost_future) => __waypost_future,
            ::core::option::Option::None => ::core::unreachable!(),
        }
    }
}
#[allow(deprecated)]
impl ::waypost::__private::Middleware for require_user {
    #[allow(clippy::option_if_let_else)]
    fn call(
        &self,
        request: ::waypost::__private::Request,
        next: ::waypost::__private::Next,
    ) -> ::waypost::__private::HandlerFuture {
        ::waypost::__private::HandlerFuture::new_in(
            request,
            move |request| {
                match require_user::__waypost_shim(
                        ::core::option::Option::Some((request, next)),
                    )
                    .0
                {
                    ::core::option::Option::Some(__waypost_future) => __waypost_future,
                    ::core::option::Option::None => ::core::unreachable!(),
                }
            },
        )
    }
    fn name(&self) -> &'static str {
        "require_user"
    }
    fn provides(&self, provided: &mut ::waypost::__private::Provided) {
        provided.insert::<User>();
    }
    fn required(&self, needs: &mut ::waypost::__private::StateNeeds) {
        (require_user::__waypost_shim::<
            ::waypost::__private::Chained,
        >(::core::option::Option::None)
            .1)(needs)
    }
}
