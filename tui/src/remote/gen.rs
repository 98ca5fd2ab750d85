//! What [`protocol!`] makes of the declaration in `protocol.rs`: the error codes, the call
//! numbers, the request and reply enums with their marshalling, the server's [`Service`]
//! trait with its dispatch, and the client's stub trait. Nothing here names a call: adding
//! one is one line of the declaration.
//!
//! [`Service`]: super::protocol::Service

macro_rules! protocol {
    (
        version $version:literal;
        errors {
            $( $(#[doc = $edoc:literal])* $enum:literal $ename:ident $(($any:ident))?, )*
        }
        calls {
            $(
                $(#[doc = $doc:literal])*
                $num:literal $var:ident = $name:ident ( $($arg:ident : $aty:ty),* )
                    -> $res:ty [ $($err:ident),* ];
            )*
        }
    ) => {
        /// The protocol's version: a frame of another version gets [`Code::WrongVersion`].
        pub const VERSION: u16 = $version;

        /// Why a call failed: declared with the protocol, each with its number on the wire.
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        pub enum Code {
            $( $(#[doc = $edoc])* $ename, )*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$ename),*];

            pub fn number(self) -> u16 {
                match self { $(Code::$ename => $enum,)* }
            }

            pub fn from_number(n: u16) -> Option<Code> {
                match n { $($enum => Some(Code::$ename),)* _ => None }
            }

            pub fn name(self) -> &'static str {
                match self { $(Code::$ename => stringify!($ename),)* }
            }

            pub fn doc(self) -> &'static str {
                match self { $(Code::$ename => concat!($($edoc),*).trim_ascii(),)* }
            }

            /// Whether any call may fail with it (the framing's and transport's errors).
            pub fn any_call(self) -> bool {
                match self { $(Code::$ename => protocol!(@any $($any)?),)* }
            }
        }

        /// The calls, by number.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Call {
            $( $(#[doc = $doc])* $var, )*
        }

        impl Call {
            pub const ALL: &'static [Call] = &[$(Call::$var),*];

            pub fn number(self) -> u16 {
                match self { $(Call::$var => $num,)* }
            }

            pub fn from_number(n: u16) -> Option<Call> {
                match n { $($num => Some(Call::$var),)* _ => None }
            }

            pub fn name(self) -> &'static str {
                match self { $(Call::$var => stringify!($name),)* }
            }

            /// Its arguments' names and types, as declared.
            pub fn args(self) -> &'static [(&'static str, &'static str)] {
                match self { $(Call::$var => &[$((stringify!($arg), stringify!($aty))),*],)* }
            }

            /// Its result's type, as declared.
            pub fn result(self) -> &'static str {
                match self { $(Call::$var => stringify!($res),)* }
            }

            /// The declaration's line: name, arguments, result.
            pub fn signature(self) -> String {
                let args: Vec<String> =
                    self.args().iter().map(|(n, t)| format!("{n}: {t}")).collect();
                format!("{}({}) -> {}", self.name(), args.join(", "), self.result())
            }

            pub fn doc(self) -> &'static str {
                match self { $(Call::$var => concat!($($doc),*).trim_ascii(),)* }
            }

            /// The errors of its own it may return (besides those of [`Code::any_call`]).
            pub fn errors(self) -> &'static [Code] {
                match self { $(Call::$var => &[$(Code::$err),*],)* }
            }

            /// Whether a reply to this call may carry `code`.
            pub fn may_fail_with(self, code: Code) -> bool {
                code.any_call() || self.errors().contains(&code)
            }
        }

        /// A call with its arguments.
        // A request is built, encoded and dropped at once (set_cpu's registers are the
        // largest): boxing would buy nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug)]
        pub enum Request {
            $( $var { $($arg: $aty),* }, )*
        }

        impl Request {
            pub fn call(&self) -> Call {
                match self { $(Request::$var { .. } => Call::$var,)* }
            }

            /// The arguments, in declaration order.
            pub fn put_args(&self, w: &mut Vec<u8>) {
                match self {
                    $(Request::$var { $($arg),* } => {
                        $( $crate::remote::wire::Wire::put($arg, w); )*
                        let _ = w;
                    })*
                }
            }

            /// Reads `call`'s arguments; they must take every byte left.
            pub fn get_args(
                call: Call,
                r: &mut $crate::remote::wire::Reader,
            ) -> Result<Request, $crate::remote::Error> {
                let req = match call {
                    $(Call::$var => {
                        $( let $arg: $aty = $crate::remote::wire::Wire::get(r)?; )*
                        Request::$var { $($arg),* }
                    })*
                };
                r.finish(call.name())?;
                Ok(req)
            }
        }

        /// A call's result.
        // A snapshot is far larger than the other results; each reply is moved once, from
        // the decoder to the UI, so boxing it would buy nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug)]
        pub enum Reply {
            $( $var($res), )*
        }

        impl Reply {
            pub fn call(&self) -> Call {
                match self { $(Reply::$var(_) => Call::$var,)* }
            }

            pub fn put(&self, w: &mut Vec<u8>) {
                match self { $(Reply::$var(x) => $crate::remote::wire::Wire::put(x, w),)* }
            }

            /// Reads `call`'s result; it must take every byte left.
            pub fn get(
                call: Call,
                r: &mut $crate::remote::wire::Reader,
            ) -> Result<Reply, $crate::remote::Error> {
                let reply = match call {
                    $(Call::$var => Reply::$var($crate::remote::wire::Wire::get(r)?),)*
                };
                r.finish(call.name())?;
                Ok(reply)
            }
        }

        /// What serves the calls: the server's side of each.
        pub trait Service: Send + Sync {
            $(
                $(#[doc = $doc])*
                fn $name(&self, $($arg: $aty),*) -> Result<$res, $crate::remote::Error>;
            )*
        }

        /// Runs `req` on `service`.
        pub fn dispatch<S: Service + ?Sized>(
            service: &S,
            req: Request,
        ) -> Result<Reply, $crate::remote::Error> {
            match req {
                $(Request::$var { $($arg),* } => service.$name($($arg),*).map(Reply::$var),)*
            }
        }

        /// The client's stub: one method a call, each sending its request and returning the
        /// request's id at once (the reply comes later, through the client's poll).
        pub trait Stub {
            fn send(&mut self, req: Request) -> u32;
            $(
                $(#[doc = $doc])*
                fn $name(&mut self, $($arg: $aty),*) -> u32 {
                    self.send(Request::$var { $($arg),* })
                }
            )*
        }
    };
    (@any any) => { true };
    (@any) => { false };
}
pub(crate) use protocol;
