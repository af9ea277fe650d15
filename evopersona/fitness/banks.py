"""Pattern banks of the behavioural fingerprint (method.md §1.6), kept as data.

Each bank is a list of regex fragments matched against the lower-cased user turn; a single space in
a fragment stands for any run of horizontal whitespace (so write `(?: )?` for an optional space).
The banks follow the definitions of method.md §1.6, with a few common phrasings added per bank. `fingerprint.py` compiles each bank into one
alternation, so adding a phrase here needs no code change.
"""

from __future__ import annotations

APOS = "['’]"

POLITENESS = [
    r"\bplease\b", r"\bpls\b", r"\bplz\b", r"\bthanks?\b", r"\bthank you\b", r"\bthx\b", r"\bty\b",
    r"\bcheers\b", r"\bappreciated?\b", r"\bgrateful\b", r"\bsorry\b", r"\bapolog(?:y|ies)\b",
    r"\bpardon\b", r"\bexcuse me\b", r"\bkindly\b", rf"\bif you don{APOS}t mind\b", r"\bif possible\b",
    r"\bno (?:worries|rush|problem)\b", r"\bif you can\b",
]

FORMALITY = [
    "—", "–", ";", r"\bfurthermore\b", r"\bmoreover\b", r"\badditionally\b", r"\btherefore\b",
    r"\bthus\b", r"\bhence\b", r"\bconsequently\b", r"\bhowever\b", r"\bnevertheless\b",
    r"\bregarding\b", r"\bwith respect to\b", r"\bpertaining to\b", r"\bconcerning\b", r"\bindeed\b",
    r"\bper se\b", r"\bas such\b", r"\baccordingly\b",
]

ACKNOWLEDGMENTS = [
    "ok", "okay", "k", "kk", "sure", "got it", "alright", "all right", "yes", "yeah", "yep", "yup",
    "no", "nope", "right", "fine", "great", "cool", "thanks", "thank you", "thx", "understood",
    "noted", "perfect", "sounds good", "sounds great", "gotcha", "makes sense", "i see", "will do",
    "awesome", "nice",
]

IDENTITY_CONFUSION = [
    r"\bhow (?:may|can) i (?:help|assist)\b", r"\blet me (?:check|look into|look that up)\b",
    r"\bi apologi[sz]e for (?:the|any) (?:inconvenience|confusion)\b", r"\bthank you for (?:your patience|your time|contacting|reaching out)\b",
    r"\bis there anything else i can\b", r"\bour records (?:show|indicate)\b", r"\bper our policy\b",
    r"\brest assured\b", rf"\bi(?:{APOS}d| would) be happy to\b", rf"\bi(?: have|{APOS}ve) (?:processed|escalated)\b",
]

UNCERTAINTY = [
    r"\bmaybe\b", r"\bperhaps\b", r"\bprobably\b", r"\bnot sure\b", r"\bi (?:think|guess|suppose|believe)\b",
    rf"\bdon{APOS}t know\b", r"\bdo not know\b", r"\bno idea\b", r"\bdunno\b", r"\bunsure\b", r"\bidk\b", r"\bkinda\b", r"\bkind of\b", r"\bsort of\b", r"\bmight be\b",
    r"\bcould be\b", r"\bmay be\b", r"\biirc\b", r"\bhmm+\b",
]

CERTAINTY = [
    r"\bdefinitely\b", r"\babsolutely\b", r"\bcertainly\b", r"\bfor sure\b", r"\bexactly\b",
    r"\bprecisely\b", r"\bclearly\b", r"\bobviously\b", rf"\bi(?:{APOS}m| am) (?:sure|positive|confident)\b",
    r"\b100[^\S\n]?%",
]

PUSHBACK = [
    r"\bare you sure\b", r"\bi already (?:told|said|gave|mentioned)\b", rf"\bthat(?:{APOS}s| is) not right\b",
    rf"\bthat(?:{APOS}s| is) wrong\b", r"\bas i (?:said|mentioned|explained|noted)\b", r"\blike i (?:said|told you|mentioned)\b", r"\bhow many times\b",
    r"\bwe (?:already )?(?:discussed|covered|went over)\b", rf"\bthat doesn{APOS}t (?:sound|seem|look) right\b",
    rf"\bdidn{APOS}t i (?:just )?(?:say|tell)\b", rf"\bthat{APOS}s not (?:correct|true|what i)\b", rf"\byou(?:{APOS}re| are) not listening\b", r"\bscroll up\b", rf"\bi don{APOS}t (?:think|believe) (?:so|that{APOS}s)\b", r"\byou (?:already )?asked\b",
    r"\bread what i (?:wrote|said|typed)\b",
]

CLARIFICATION_QUESTION = [
    r"\bwhat do you mean\b", r"\bwhat does that mean\b", r"\bwhat exactly\b", r"\b(?:can|could) you (?:clarify|explain|rephrase)\b",
    rf"\bi don{APOS}t understand\b", rf"\bi(?:{APOS}m| am) (?:confused|lost)\b", r"\bsorry\?", r"\bwhich one\b", r"\bhuh\b",
    r"^[^\S\n]*what[^\S\n]*\?+[^\S\n]*$", r"\bcome again\b", r"\bwait,? what\b",
]

INFO_SEEKING = [
    rf"\bwhat(?:{APOS}s| is) the (?:status|update)\b", r"\bany updates?\b", r"\b(?:can|could) you (?:check|confirm)\b",
    r"\bis it possible to\b", r"\bhow (?:do|can) i\b", r"\bwhen (?:will|does|is|can)\b", r"\bwhat (?:are|were|is) the\b", r"\bi need (?:the|an)\b",
    r"\b(?:can|could) you tell me\b", r"\btell me (?:about|what|how|when|where|why)\b", r"\bwhy (?:is|does|do|are|am)\b", r"\bwhat about\b",
    r"\bdo you (?:know|have)\b", r"\bi need to know\b",
]

EMOTIONAL_EXPRESSION = [
    r"\bfrustrat", r"\bannoyed\b", r"\birritated\b", r"\bfed up\b", r"\bangry\b", r"\bupset\b", r"\bdisappointed\b",
    r"\bstressed\b", r"\bsick of\b", r"\btired of\b", r"\bexhausted\b", r"\bmad\b", r"\bworried\b", r"\boh (?:come on|no|man)\b", r"\bugh+\b", r"\bargh+\b", r"\bcome on\b", r"\bridiculous\b",
    r"\babsurd\b", r"\bunbelievable\b", r"\bnever(?: )?mind\b", r"\bforget it\b", r"\bthis is (?:taking|getting|so|really)\b",
    r"\bseriously\b", r"\bwtf\b",
]

ACCUSATORY = [
    r"\buseless\b", r"\bunacceptable\b", r"\bincompetent\b", r"\bunprofessional\b", r"\bscam\b",
    r"\bfraud(?:ulent)?\b", r"\brip-?off\b", r"\blying\b", r"\bliars?\b", r"\bcheated\b", r"\bworst\b",
    r"\bterrible\b", r"\bhorrible\b", r"\bawful\b", r"\bpathetic\b", r"\bwaste of time\b",
    rf"\byou(?:{APOS}re| are) not helping\b", r"\bdo your job\b",
]

STRATEGY_PIVOT = [
    r"\binstead\b", r"\brather than\b", r"\bin that case\b", r"\bon second thought\b", r"\bactually,", r"\bactually (?:let|i|we)\b",
    rf"\blet{APOS}s try\b", r"\bhow about\b", r"\balternatively\b", r"\banother option\b",
    r"\bwhat if we\b", r"\bor maybe\b", r"\bscratch that\b", r"\bforget it\b",
]

IDENTIFIER = r"#[A-Z0-9]{5,}|[A-Z0-9]{6,}|\b\d{7,}\b|\S+@\S+\.\S+"

RATE_BANKS: dict[str, list[str]] = {
    "politeness_rate": POLITENESS,
    "formality_rate": FORMALITY,
    "identity_confusion_rate": IDENTITY_CONFUSION,
    "uncertainty_rate": UNCERTAINTY,
    "certainty_rate": CERTAINTY,
    "pushback_rate": PUSHBACK,
    "clarification_question_rate": CLARIFICATION_QUESTION,
    "info_seeking_rate": INFO_SEEKING,
    "emotional_expression_rate": EMOTIONAL_EXPRESSION,
    "accusatory_rate": ACCUSATORY,
    "strategy_pivot_rate": STRATEGY_PIVOT,
}
