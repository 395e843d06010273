"""Tables of the synthetic note generator (JSON): word lists, clinical content and phrases.

A package only so that the tables install with the appliance and load through importlib.resources. Each
file's ``_comment`` says what its entries mean. Order matters: the generator draws by position, so a
reordered, added or removed entry changes the notes made from a given seed (tests/data pins a hash).
"""
