"""The token limit, checked on the request body before authentication.

The document is parsed with graphql-core's ``max_tokens`` (comments count as tokens), which stops
at the first token over the limit, so an oversized document costs no more than a document at the
limit (graphql-core's parser takes about 10 µs a token). The parsed document is kept for the
GraphQL layer (``gateway.limits.extension``), which then does not parse it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError
from graphql.language.parser import Parser

from gateway.limits.refusal import TOO_MANY_TOKENS, refusal


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A document parsed ahead of the GraphQL layer, with the text it was parsed from."""

    query: str
    document: DocumentNode


def exceeds(error: GraphQLSyntaxError, parser: Parser, max_tokens: int) -> bool:
    # The parser counts tokens as it goes; over a run of comments the lexer stops first, with
    # the parser's own message for the limit.
    return parser.token_count > max_tokens or f"more than {max_tokens} tokens" in error.message


def parse_within_limit(
    query: str, max_tokens: int, operation_name: str | None = None
) -> ParsedDocument | GraphQLError | None:
    """The parsed document; the refusal (``TOO_MANY_TOKENS``) for one over the limit; None when
    it does not parse for another reason (the GraphQL layer then parses it again and reports the
    syntax error as usual)."""
    parser = Parser(query, max_tokens=max_tokens)
    try:
        return ParsedDocument(query, parser.parse_document())
    except GraphQLSyntaxError as error:
        if not exceeds(error, parser, max_tokens):
            return None
    except RecursionError:
        return None
    return refusal(
        TOO_MANY_TOKENS,
        f"The document has more than {max_tokens} tokens, the most this server accepts",
        operation_name,
        limit=max_tokens,
    )
