"""Texts for checking the redactor's prefilters: phone numbers of every region and random digit runs."""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers import PhoneNumberFormat


def phone_texts(before: str, call: str, after: str, prefixes: list[str], seed: int) -> list[str]:
    """Every region's example fixed and mobile numbers (international after `before`, E.164 after `call`,
    national in brackets, 00-prefixed before `after`), then 1,500 random digit runs cut into groups, each
    after one of `prefixes`."""
    texts = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
            international = phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL)
            national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
            texts += [f"{before} {international}.", f"{call} {e164}", f"({national})", f"00{e164[1:]} {after}"]
    rng = random.Random(seed)
    for _ in range(1500):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 15)))
        cut = sorted(rng.sample(range(1, len(digits)), k=min(3, len(digits) - 1)))
        groups = [digits[i:j] for i, j in zip([0, *cut], [*cut, len(digits)], strict=True)]
        texts.append(rng.choice(prefixes) + rng.choice([" ", ".", "-", "/", ""]).join(groups))
    return texts
