//! Rewriting SPARQL algebra: a walk that rebuilds a pattern and its expressions from the
//! leaves up, handing each rebuilt node to a [`Rewrite`], which may replace it.

use spargebra::algebra::{AggregateExpression, Expression, GraphPattern, OrderExpression};

/// What a walk does to each node, once the node's parts are rewritten.
pub(crate) trait Rewrite {
    /// A pattern whose inner patterns and expressions are rewritten already.
    fn pattern(&mut self, pattern: GraphPattern) -> GraphPattern {
        pattern
    }

    /// An expression whose operands (and `EXISTS` patterns) are rewritten already.
    fn expression(&mut self, expression: Expression) -> Expression {
        expression
    }
}

/// `pattern` rebuilt through `rewrite`.
pub(crate) fn pattern(pattern: &GraphPattern, rewrite: &mut impl Rewrite) -> GraphPattern {
    let rebuilt = match pattern {
        GraphPattern::Bgp { .. }
        | GraphPattern::Path { .. }
        | GraphPattern::Values { .. }
        | GraphPattern::Service { .. } => pattern.clone(),
        GraphPattern::Join { left, right } => GraphPattern::Join {
            left: boxed(left, rewrite),
            right: boxed(right, rewrite),
        },
        GraphPattern::LeftJoin {
            left,
            right,
            expression: condition,
        } => GraphPattern::LeftJoin {
            left: boxed(left, rewrite),
            right: boxed(right, rewrite),
            expression: condition
                .as_ref()
                .map(|condition| expression(condition, rewrite)),
        },
        GraphPattern::Lateral { left, right } => GraphPattern::Lateral {
            left: boxed(left, rewrite),
            right: boxed(right, rewrite),
        },
        GraphPattern::Filter { expr, inner } => GraphPattern::Filter {
            expr: expression(expr, rewrite),
            inner: boxed(inner, rewrite),
        },
        GraphPattern::Union { left, right } => GraphPattern::Union {
            left: boxed(left, rewrite),
            right: boxed(right, rewrite),
        },
        GraphPattern::Graph { name, inner } => GraphPattern::Graph {
            name: name.clone(),
            inner: boxed(inner, rewrite),
        },
        GraphPattern::Extend {
            inner,
            variable,
            expression: value,
        } => GraphPattern::Extend {
            inner: boxed(inner, rewrite),
            variable: variable.clone(),
            expression: expression(value, rewrite),
        },
        GraphPattern::Minus { left, right } => GraphPattern::Minus {
            left: boxed(left, rewrite),
            right: boxed(right, rewrite),
        },
        GraphPattern::OrderBy {
            inner,
            expression: order,
        } => GraphPattern::OrderBy {
            inner: boxed(inner, rewrite),
            expression: order
                .iter()
                .map(|order| match order {
                    OrderExpression::Asc(value) => OrderExpression::Asc(expression(value, rewrite)),
                    OrderExpression::Desc(value) => {
                        OrderExpression::Desc(expression(value, rewrite))
                    }
                })
                .collect(),
        },
        GraphPattern::Project { inner, variables } => GraphPattern::Project {
            inner: boxed(inner, rewrite),
            variables: variables.clone(),
        },
        GraphPattern::Distinct { inner } => GraphPattern::Distinct {
            inner: boxed(inner, rewrite),
        },
        GraphPattern::Reduced { inner } => GraphPattern::Reduced {
            inner: boxed(inner, rewrite),
        },
        GraphPattern::Slice {
            inner,
            start,
            length,
        } => GraphPattern::Slice {
            inner: boxed(inner, rewrite),
            start: *start,
            length: *length,
        },
        GraphPattern::Group {
            inner,
            variables,
            aggregates,
        } => GraphPattern::Group {
            inner: boxed(inner, rewrite),
            variables: variables.clone(),
            aggregates: aggregates
                .iter()
                .map(|(variable, aggregate)| {
                    let aggregate = match aggregate {
                        AggregateExpression::FunctionCall {
                            name,
                            expr,
                            distinct,
                        } => AggregateExpression::FunctionCall {
                            name: name.clone(),
                            expr: expression(expr, rewrite),
                            distinct: *distinct,
                        },
                        AggregateExpression::CountSolutions { distinct } => {
                            AggregateExpression::CountSolutions {
                                distinct: *distinct,
                            }
                        }
                    };
                    (variable.clone(), aggregate)
                })
                .collect(),
        },
    };
    rewrite.pattern(rebuilt)
}

fn boxed(inner: &GraphPattern, rewrite: &mut impl Rewrite) -> Box<GraphPattern> {
    Box::new(pattern(inner, rewrite))
}

/// `expression` rebuilt through `rewrite`.
pub(crate) fn expression(expression: &Expression, rewrite: &mut impl Rewrite) -> Expression {
    let rebuilt = match expression {
        Expression::NamedNode(_)
        | Expression::Literal(_)
        | Expression::Variable(_)
        | Expression::Bound(_) => expression.clone(),
        Expression::Or(a, b) => Expression::Or(operand(a, rewrite), operand(b, rewrite)),
        Expression::And(a, b) => Expression::And(operand(a, rewrite), operand(b, rewrite)),
        Expression::Equal(a, b) => Expression::Equal(operand(a, rewrite), operand(b, rewrite)),
        Expression::SameTerm(a, b) => {
            Expression::SameTerm(operand(a, rewrite), operand(b, rewrite))
        }
        Expression::Greater(a, b) => Expression::Greater(operand(a, rewrite), operand(b, rewrite)),
        Expression::GreaterOrEqual(a, b) => {
            Expression::GreaterOrEqual(operand(a, rewrite), operand(b, rewrite))
        }
        Expression::Less(a, b) => Expression::Less(operand(a, rewrite), operand(b, rewrite)),
        Expression::LessOrEqual(a, b) => {
            Expression::LessOrEqual(operand(a, rewrite), operand(b, rewrite))
        }
        Expression::Add(a, b) => Expression::Add(operand(a, rewrite), operand(b, rewrite)),
        Expression::Subtract(a, b) => {
            Expression::Subtract(operand(a, rewrite), operand(b, rewrite))
        }
        Expression::Multiply(a, b) => {
            Expression::Multiply(operand(a, rewrite), operand(b, rewrite))
        }
        Expression::Divide(a, b) => Expression::Divide(operand(a, rewrite), operand(b, rewrite)),
        Expression::UnaryPlus(a) => Expression::UnaryPlus(operand(a, rewrite)),
        Expression::UnaryMinus(a) => Expression::UnaryMinus(operand(a, rewrite)),
        Expression::Not(a) => Expression::Not(operand(a, rewrite)),
        Expression::If(a, b, c) => Expression::If(
            operand(a, rewrite),
            operand(b, rewrite),
            operand(c, rewrite),
        ),
        Expression::In(a, list) => Expression::In(
            operand(a, rewrite),
            list.iter()
                .map(|item| self::expression(item, rewrite))
                .collect(),
        ),
        Expression::Coalesce(list) => Expression::Coalesce(
            list.iter()
                .map(|item| self::expression(item, rewrite))
                .collect(),
        ),
        Expression::FunctionCall(function, arguments) => Expression::FunctionCall(
            function.clone(),
            arguments
                .iter()
                .map(|argument| self::expression(argument, rewrite))
                .collect(),
        ),
        Expression::Exists(inner) => Expression::Exists(Box::new(pattern(inner, rewrite))),
    };
    rewrite.expression(rebuilt)
}

fn operand(operand: &Expression, rewrite: &mut impl Rewrite) -> Box<Expression> {
    Box::new(expression(operand, rewrite))
}
