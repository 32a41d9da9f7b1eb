//! `circuit!`: Rust-like arithmetic over `Target`s, lowered to builder calls.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{BinOp, Block, Expr, Lit, Local, Macro, Stmt, Token, UnOp};

/// `circuit!(builder, body)`: `body` is a block of statements or a single expression.
pub(crate) struct Input {
    builder: Expr,
    body: Body,
}

enum Body {
    Block(Block),
    Expr(Expr),
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let builder: Expr = input.parse()?;
        input.parse::<Token![,]>()?;
        let body = if input.peek(syn::token::Brace) {
            Body::Block(input.parse()?)
        } else {
            Body::Expr(input.parse()?)
        };
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the circuit body"));
        }
        Ok(Input { builder, body })
    }
}

fn error(span: Span, message: &str) -> syn::Error {
    syn::Error::new(span, message)
}

struct Lowering {
    builder: Expr,
    temp: usize,
}

impl Lowering {
    fn temp(&mut self) -> syn::Ident {
        self.temp += 1;
        syn::Ident::new(&format!("__fixpoint_t{}", self.temp), Span::mixed_site())
    }

    fn b(&self) -> &Expr {
        &self.builder
    }

    /// `b.method(lowered args…)`, each argument bound first (the builder is borrowed once).
    fn call(&mut self, method: &str, args: &[&Expr], span: Span) -> syn::Result<TokenStream> {
        let method = syn::Ident::new(method, span);
        let mut lets = Vec::new();
        let mut names = Vec::new();
        for arg in args {
            let value = self.expr(arg)?;
            let name = self.temp();
            lets.push(quote!(let #name = #value;));
            names.push(name);
        }
        let b = self.b();
        Ok(quote_spanned!(span=> { #(#lets)* (#b).#method(#(#names),*) }))
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> syn::Result<TokenStream> {
        let mut out = TokenStream::new();
        for stmt in stmts {
            out.extend(self.stmt(stmt)?);
        }
        Ok(out)
    }

    fn stmt(&mut self, stmt: &Stmt) -> syn::Result<TokenStream> {
        match stmt {
            Stmt::Local(Local { pat, init, .. }) => {
                let Some(init) = init else {
                    return Err(error(
                        stmt.span(),
                        "a `let` in a circuit needs a value: write `let y = <expression>;`",
                    ));
                };
                if init.diverge.is_some() {
                    return Err(error(
                        stmt.span(),
                        "`let … else` is not supported in circuits",
                    ));
                }
                let value = self.expr(&init.expr)?;
                Ok(quote!(let #pat = #value;))
            }
            Stmt::Macro(m) => self.constraint_macro(&m.mac),
            Stmt::Expr(expr, semi) => self.expr_stmt(expr, semi.is_some()),
            Stmt::Item(item) => Err(error(
                item.span(),
                "items (fn, struct, use, …) cannot be declared inside `circuit!`; declare them outside",
            )),
        }
    }

    fn expr_stmt(&mut self, expr: &Expr, has_semi: bool) -> syn::Result<TokenStream> {
        match expr {
            Expr::Binary(bin) if matches!(bin.op, BinOp::Eq(_)) => {
                if !has_semi {
                    return Err(error(
                        bin.op.span(),
                        "`==` constrains two values and has no value itself: end it with `;`",
                    ));
                }
                let call = self.call("assert_eq", &[&bin.left, &bin.right], bin.op.span())?;
                Ok(quote!(#call;))
            }
            Expr::Macro(m) => self.constraint_macro(&m.mac),
            Expr::ForLoop(for_loop) => {
                let pat = &for_loop.pat;
                let range = &for_loop.expr;
                let body = self.stmts(&for_loop.body.stmts)?;
                // The loop runs while the circuit is built: it is unrolled into the IR.
                Ok(quote!(for #pat in #range { #body }))
            }
            Expr::Assign(assign) => {
                let left = &assign.left;
                let value = self.expr(&assign.right)?;
                Ok(quote!(#left = #value;))
            }
            _ => {
                let value = self.expr(expr)?;
                Ok(if has_semi { quote!(#value;) } else { value })
            }
        }
    }

    fn constraint_macro(&mut self, mac: &Macro) -> syn::Result<TokenStream> {
        let name = mac
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let args =
            mac.parse_body_with(syn::punctuated::Punctuated::<Expr, Token![,]>::parse_terminated)?;
        let args: Vec<&Expr> = args.iter().collect();
        let span = mac.path.span();
        let (method, arity) = match name.as_str() {
            "assert_eq" => ("assert_eq", 2),
            "assert_zero" => ("assert_zero", 1),
            "assert_bool" => ("assert_bool", 1),
            "assert_nonzero" => ("assert_nonzero", 1),
            _ => {
                return Err(error(
                    span,
                    "unknown macro in `circuit!`: the constraints are assert_eq!(a, b), \
                     assert_zero!(x), assert_bool!(x) and assert_nonzero!(x)",
                ));
            }
        };
        if args.len() != arity {
            return Err(error(
                mac.span(),
                &format!("`{name}!` takes {arity} argument(s), got {}", args.len()),
            ));
        }
        let call = self.call(method, &args, span)?;
        Ok(quote!(#call;))
    }

    /// Lowers an expression whose value is a `Target`.
    fn expr(&mut self, expr: &Expr) -> syn::Result<TokenStream> {
        let span = expr.span();
        match expr {
            Expr::Binary(bin) => {
                let method = match bin.op {
                    BinOp::Add(_) => "add",
                    BinOp::Sub(_) => "sub",
                    BinOp::Mul(_) => "mul",
                    BinOp::Div(_) => "div",
                    BinOp::Eq(_) => {
                        return Err(error(
                            bin.op.span(),
                            "`==` constrains two values and has no value itself: use it as a \
                             statement (`a == b;`)",
                        ));
                    }
                    BinOp::BitXor(_) => {
                        return Err(error(
                            bin.op.span(),
                            "`^` is XOR in Rust and binds looser than `+`; write a power as `x.pow(3)`",
                        ));
                    }
                    _ => {
                        return Err(error(
                            bin.op.span(),
                            "unsupported operator in a circuit: use `+`, `-`, `*`, `/`, or `==` as a statement",
                        ));
                    }
                };
                self.call(method, &[&bin.left, &bin.right], bin.op.span())
            }
            Expr::Unary(unary) => match unary.op {
                UnOp::Neg(_) => self.call("neg", &[&unary.expr], unary.op.span()),
                // `*t` reads a Target through a reference: plain Rust.
                UnOp::Deref(_) => Ok(expr.to_token_stream()),
                _ => Err(error(
                    unary.op.span(),
                    "unsupported unary operator in a circuit: only `-x` (and `*t` to read a Target) are",
                )),
            },
            Expr::Paren(paren) => self.expr(&paren.expr),
            Expr::Group(group) => self.expr(&group.expr),
            Expr::Lit(lit) => match &lit.lit {
                Lit::Int(int) => {
                    let value: u64 = int.base10_parse().map_err(|_| {
                        error(
                            int.span(),
                            "integer literal too large: write `const { F::from_… }` for big constants",
                        )
                    })?;
                    let b = self.b();
                    Ok(quote_spanned!(span=> (#b).const_u64(#value)))
                }
                _ => Err(error(
                    lit.span(),
                    "only integer literals are circuit constants; write other field constants as `const { <F expression> }`",
                )),
            },
            Expr::Const(block) => {
                // A one-expression block is passed bare (no braces to trip `unused_braces`).
                let inner = match block.block.stmts.as_slice() {
                    [Stmt::Expr(inner, None)] => inner.to_token_stream(),
                    _ => block.block.to_token_stream(),
                };
                let b = self.b();
                Ok(quote_spanned!(span=> (#b).define_const(#inner)))
            }
            // Variables, fields and indexing are Rust expressions whose value is a Target.
            Expr::Path(_) | Expr::Field(_) | Expr::Index(_) => Ok(expr.to_token_stream()),
            Expr::MethodCall(call) => {
                let method = call.method.to_string();
                let args: Vec<&Expr> = call.args.iter().collect();
                match (method.as_str(), args.as_slice()) {
                    ("square", []) => self.call("square", &[&call.receiver], call.method.span()),
                    ("inv", []) => self.call("inv", &[&call.receiver], call.method.span()),
                    ("pow" | "exp", [exponent]) => {
                        self.exp(&call.receiver, exponent, call.method.span())
                    }
                    _ => Err(error(
                        call.method.span(),
                        "unknown method in a circuit: the supported ones are x.square(), x.inv() \
                         and x.pow(n)",
                    )),
                }
            }
            Expr::Call(call) => {
                let name = match &*call.func {
                    Expr::Path(path) => path.path.get_ident().map(ToString::to_string),
                    _ => None,
                };
                let args: Vec<&Expr> = call.args.iter().collect();
                match (name.as_deref(), args.as_slice()) {
                    (Some("select"), [cond, then, otherwise]) => {
                        self.call("select", &[cond, then, otherwise], call.func.span())
                    }
                    (Some("exp" | "pow"), [base, exponent]) => {
                        self.exp(base, exponent, call.func.span())
                    }
                    (Some("select"), _) => Err(error(
                        call.span(),
                        "select takes three arguments: select(cond, then, otherwise)",
                    )),
                    (Some("exp" | "pow"), _) => {
                        Err(error(call.span(), "exp takes two arguments: exp(x, n)"))
                    }
                    // Any other call is plain Rust that returns a Target (a gadget).
                    _ => Ok(expr.to_token_stream()),
                }
            }
            Expr::If(_) | Expr::Match(_) => Err(error(
                span,
                "a circuit has no branches: compute both sides and pick with select(cond, a, b)",
            )),
            Expr::While(_) | Expr::Loop(_) => Err(error(
                span,
                "a circuit has a fixed shape: loop with `for i in 0..n` over a range known when building",
            )),
            Expr::Closure(_) => Err(error(
                span,
                "closures are not supported inside `circuit!`; define the function outside",
            )),
            _ => Err(error(
                span,
                "unsupported expression in a circuit: use targets, integer literals, `const { … }`, \
                 + - * /, unary -, x.square(), x.pow(n), x.inv(), select(c, a, b) or a call to a gadget",
            )),
        }
    }

    fn exp(&mut self, base: &Expr, exponent: &Expr, span: Span) -> syn::Result<TokenStream> {
        let value = self.expr(base)?;
        let name = self.temp();
        let b = self.b();
        Ok(quote_spanned!(span=> { let #name = #value; (#b).exp_u64(#name, #exponent) }))
    }
}

pub(crate) fn expand(input: Input) -> syn::Result<TokenStream> {
    let mut lowering = Lowering {
        builder: input.builder,
        temp: 0,
    };
    match &input.body {
        Body::Expr(expr) => lowering.expr(expr),
        Body::Block(block) => {
            let stmts = lowering.stmts(&block.stmts)?;
            Ok(quote!({ #stmts }))
        }
    }
}
