"""Calls made inside `scoped_ledger()` (and in tasks and threads it starts) are charged to that scope."""

import asyncio

from evopersona.config import LLMConfig
from evopersona.llm.gateway import Gateway
from evopersona.llm.ledger import scoped_ledger

MESSAGES = [{"role": "system", "content": "You are a customer."}, {"role": "user", "content": "Hi! How can I help you today?"}]


def test_concurrent_scopes_on_one_gateway_are_charged_separately():
    gateway = Gateway(LLMConfig(max_retries=0))

    async def evaluation(calls: int, seed: int) -> int:
        with scoped_ledger() as ledger:
            await asyncio.gather(*(gateway.acomplete("user", MESSAGES, seed=seed + i) for i in range(calls)))
            await asyncio.to_thread(lambda: None)
            threaded = asyncio.run_coroutine_threadsafe(gateway.acomplete("agent", MESSAGES, seed=seed), asyncio.get_running_loop())
            await asyncio.wrap_future(threaded)
            return len(ledger.drain())

    async def main() -> list[int]:
        return list(await asyncio.gather(evaluation(3, 0), evaluation(5, 100)))

    assert asyncio.run(main()) == [4, 6]
    outside = gateway.complete("user", MESSAGES, seed=7)
    assert outside.text and len(gateway.ledger.drain()) == 1
    gateway.close()
