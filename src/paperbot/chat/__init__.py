"""Chat adapters: the only modules that talk to a chat platform.

Each one translates between its platform and ``paperbot.commands``; none decides
anything (no queries, no SQL, no scheduling here).
"""
