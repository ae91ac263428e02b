"""Small statistics about a text."""


def words(text):
    """The words of `text`, split on whitespace."""
    return text.split()


def word_count(text):
    """How many words `text` has."""
    return len(words(text))


def average_word_length(text):
    """Mean length of the words of `text`; 0.0 when it has none."""
    found = words(text)
    return sum(len(word) for word in found) / len(found)


def longest_word(text):
    """The longest word (the first one on a tie); None when there is none."""
    found = words(text)
    if not found:
        return None
    return max(found, key=len)
