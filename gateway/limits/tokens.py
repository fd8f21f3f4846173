"""The token limit, checked on the request body before authentication.

The document is parsed once, in a worker thread (``gateway.limits.workers``), with graphql-core's
``max_tokens`` (comments count as tokens), which stops at the first token over the limit, so an
oversized document costs no more than a document at the limit (graphql-core's parser takes about
10 µs a token). What the parse gave is kept for the GraphQL layer: the document, which
``gateway.limits.extension`` hands to Strawberry, or the syntax error (a document nested too
deeply for the parser is one too), which ``gateway.graphql_app`` answers without handing the text
to Strawberry. The text is never parsed a second time, and never on the event loop: a megabyte
string literal with a missing brace takes a fifth of a second to lex.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, Lexer, Source, TokenKind
from graphql.language.parser import Parser, nested_too_deeply_error

from gateway.limits.config import OperationLimits
from gateway.limits.refusal import TOO_MANY_TOKENS, refusal


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """The outcome of parsing ahead of the GraphQL layer, with the text it was parsed from: the
    document, or the error that answers the request in its place."""

    query: str
    document: DocumentNode | None
    #: the ``GraphQLSyntaxError`` of a document that does not parse, answered as
    #: ``GRAPHQL_PARSE_FAILED``
    error: GraphQLSyntaxError | None = None


def tokens_read(parser: Parser, lexer: Lexer) -> int:
    """The tokens a stopped parse had read: those the parser counted, and the run of comments
    the lexer had linked in after the parser's current token. Over a run of comments the lexer
    stops at the limit itself, before the parser counts the run; its syntax error is told from
    any other by this count, not by its message."""
    count = parser.token_count
    token = lexer.token.next
    while token is not None and token.kind is TokenKind.COMMENT:
        count += 1
        token = token.next
    return count


def parse_within_limit(
    query: str, limits: OperationLimits, operation_name: str | None = None
) -> ParsedDocument | GraphQLError:
    """The parse's outcome (:class:`ParsedDocument`), or the refusal ``TOO_MANY_TOKENS`` of a
    document over the token limit, which is answered at once."""
    lexer = Lexer(Source(query))
    parser = Parser(query, max_tokens=limits.max_tokens, lexer=lexer)
    nested_too_deeply = False
    try:
        return ParsedDocument(query, parser.parse_document())
    except GraphQLSyntaxError as error:
        if tokens_read(parser, lexer) <= limits.max_tokens:
            return ParsedDocument(query, None, error)
    except RecursionError:
        # Thousands of nested braces or brackets, within the token limit: the syntax error
        # graphql-core's ``parse`` gives for them, built outside this block so that it does not
        # keep the recursion's frames alive.
        nested_too_deeply = True
    if nested_too_deeply:
        return ParsedDocument(query, None, nested_too_deeply_error(parser))
    return refusal(
        TOO_MANY_TOKENS,
        f"The document has more than {limits.max_tokens} tokens, the most this server accepts",
        operation_name,
        limit=limits.max_tokens,
    )
