"""A person-readable device name from a user agent ("Chrome 120 · Windows")."""

from functools import lru_cache

from ua_parser import parse


@lru_cache(maxsize=512)
def describe_device(user_agent: str | None) -> str:
    """Browser (or client) with its major version, and the operating system when known."""
    if not user_agent:
        return ""
    result = parse(user_agent)
    parts = []
    if result.user_agent and result.user_agent.family and result.user_agent.family != "Other":
        agent = result.user_agent.family
        if result.user_agent.major:
            agent += f" {result.user_agent.major}"
        parts.append(agent)
    if result.os and result.os.family and result.os.family != "Other":
        parts.append(result.os.family)
    if not parts:
        return user_agent[:60]
    return " · ".join(parts)[:120]
