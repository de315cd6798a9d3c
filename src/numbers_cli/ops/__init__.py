"""Operations: what each command does, callable from Python with no click in sight.

Arguments in, result objects out, progress through a callback, no printing.
"""
