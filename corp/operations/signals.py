"""Signals of the operations package, so that packages above it (requests) can follow
operations without the operations importing them."""

from blinker import Namespace

_signals = Namespace()

#: Sent (sender: the Operation; kwargs: actor, target) when an operation starts waiting for
#: the operator's consent (credit settlement): the requests package files its request.
awaiting_operator = _signals.signal("operation-awaiting-operator")

#: Sent (sender: the Operation; kwargs: staff, approved, reason) when operator staff decide.
operator_decided = _signals.signal("operation-operator-decided")
