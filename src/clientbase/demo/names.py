"""People's names by culture (Kazakh, Russian, English, Spanish, Vietnamese) and the
ASCII spelling used for their email addresses."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "й": "y", "к": "k", "қ": "k", "л": "l", "м": "m",
    "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "đ": "d",
}  # fmt: skip


def ascii_slug(text: str) -> str:
    """'Қасымова' -> 'kasymova', 'Nguyễn' -> 'nguyen', "O'Brien" -> 'obrien'."""
    mapped = "".join(_CYRILLIC.get(ch, ch) for ch in text.casefold())
    plain = unicodedata.normalize("NFKD", mapped).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain if "a" <= ch <= "z")


def _female_surname(male: str) -> str:
    if male.endswith("ұлы"):
        return male[:-3] + "қызы"
    if male.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return male + "а"
    return male


@dataclass(frozen=True)
class Culture:
    key: str
    language: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[tuple[str, str], ...]  # (male form, female form)
    patronymics: tuple[tuple[str, str], ...] = ()
    family_first: bool = False  # Vietnamese: "Nguyễn Văn An"


def _surnames(*male: str) -> tuple[tuple[str, str], ...]:
    return tuple((m, _female_surname(m)) for m in male)


KAZAKH = Culture(
    "kazakh",
    "kk",
    male=(
        "Нұрлан", "Ерлан", "Асқар", "Бауыржан", "Дәурен", "Ержан", "Қайрат", "Серік", "Талғат",
        "Арман", "Әлібек", "Ғалым", "Мұрат", "Айдос", "Жандос", "Ақжол", "Бекзат", "Дамир",
        "Ернар", "Төлеген", "Нұрсұлтан", "Санжар", "Әділет", "Ұлан",
    ),
    female=(
        "Әлия", "Айгүл", "Гүлнар", "Жанар", "Динара", "Мәдина", "Аружан", "Айым", "Сәуле",
        "Ақбота", "Назерке", "Гүлмира", "Жұлдыз", "Айжан", "Мөлдір", "Томирис", "Дана",
        "Әйгерім", "Балжан", "Інжу", "Қарлығаш", "Ұлжан",
    ),
    surnames=_surnames(
        "Қасымов", "Ахметов", "Жұмабаев", "Сәрсенбаев", "Тоқаев", "Оспанов", "Әлиев",
        "Бекмұхамедов", "Нұрпейісов", "Серікбаев", "Ермеков", "Құнанбаев", "Сұлтанов",
        "Байжанов", "Мұхамеджанов", "Төлеуов", "Ізбасаров", "Қоңыратбаев", "Өтегенов",
        "Шәріпов", "Есенов", "Ғабдуллин", "Сейітқали", "Әбілұлы", "Жақсылықов", "Омаров",
    ),
)  # fmt: skip

RUSSIAN = Culture(
    "russian",
    "ru",
    male=(
        "Александр", "Дмитрий", "Сергей", "Андрей", "Алексей", "Иван", "Михаил", "Николай",
        "Владимир", "Евгений", "Пётр", "Юрий", "Артём", "Максим", "Олег", "Виктор",
    ),
    female=(
        "Анна", "Елена", "Ольга", "Наталья", "Татьяна", "Мария", "Ирина", "Светлана",
        "Екатерина", "Юлия", "Алёна", "Дарья", "Ксения", "Полина", "Людмила", "Вера",
    ),
    surnames=_surnames(
        "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
        "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
        "Павлов", "Козлов", "Степанов", "Николаев", "Ковальчук", "Шевченко", "Ким", "Пак",
    ),
    patronymics=(
        ("Александрович", "Александровна"), ("Сергеевич", "Сергеевна"),
        ("Дмитриевич", "Дмитриевна"), ("Андреевич", "Андреевна"), ("Иванович", "Ивановна"),
        ("Михайлович", "Михайловна"), ("Николаевич", "Николаевна"),
        ("Владимирович", "Владимировна"), ("Петрович", "Петровна"), ("Юрьевич", "Юрьевна"),
    ),
)  # fmt: skip

ENGLISH = Culture(
    "english",
    "en",
    male=(
        "John", "James", "Michael", "David", "William", "Robert", "Daniel", "Thomas", "Richard",
        "Matthew", "Andrew", "Christopher", "Oliver", "Harry", "George", "Samuel",
    ),
    female=(
        "Mary", "Jennifer", "Linda", "Sarah", "Emily", "Jessica", "Olivia", "Sophie", "Emma",
        "Charlotte", "Amelia", "Hannah", "Grace", "Chloe", "Zoë", "Renée",
    ),
    surnames=_surnames(
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
        "Anderson", "Thomas", "Moore", "Martin", "Clarke", "O'Brien", "Müller", "Walker",
        "Wright", "Robinson", "Thompson",
    ),
)  # fmt: skip

SPANISH = Culture(
    "spanish",
    "es",
    male=("José", "Luis", "Carlos", "Andrés", "Javier", "Miguel", "Jesús", "Álvaro", "Sergio"),
    female=("María", "Lucía", "Sofía", "Inés", "Carmen", "Elena", "Paula", "Begoña", "Marta"),
    surnames=_surnames(
        "García", "Martínez", "Rodríguez", "López", "Hernández", "González", "Pérez",
        "Sánchez", "Fernández", "Gómez", "Díaz", "Muñoz", "Álvarez", "Jiménez", "Ibáñez",
    ),
)  # fmt: skip

VIETNAMESE = Culture(
    "vietnamese",
    "vi",
    male=(
        "Văn An", "Minh Tuấn", "Đức Anh", "Quang Huy", "Hoàng Nam", "Thành Long", "Văn Đức",
        "Quốc Bảo", "Minh Khoa", "Tiến Dũng", "Hữu Phước", "Gia Huy",
    ),
    female=(
        "Thị Lan", "Thu Hà", "Ngọc Anh", "Phương Linh", "Thanh Hương", "Thị Mai", "Hồng Nhung",
        "Bích Ngọc", "Thùy Dung", "Khánh Linh", "Thị Hoa", "Minh Châu",
    ),
    surnames=_surnames(
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
        "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
    ),
    family_first=True,
)  # fmt: skip

# How often each culture appears among the people in a Kazakhstan customer base (percent).
CULTURES = ((KAZAKH, 45), (RUSSIAN, 28), (ENGLISH, 12), (SPANISH, 5), (VIETNAMESE, 10))


@dataclass(frozen=True)
class Person:
    first_name: str
    middle_name: str | None
    last_name: str
    gender: str
    language: str
    family_first: bool
    slug_first: str
    slug_last: str

    @property
    def display_name(self) -> str:
        if self.family_first:
            return f"{self.last_name} {self.first_name}"
        parts = (self.first_name, self.middle_name, self.last_name)
        return " ".join(p for p in parts if p)


def people(culture: Culture) -> list[Person]:
    """Every first/last (and patronymic) combination of a culture, built once."""
    out = []
    for gender, firsts, index in (("male", culture.male, 0), ("female", culture.female, 1)):
        # About 40% of the people of a culture with patronymics carry one.
        patronymics = [p[index] for p in culture.patronymics]
        middles: list[str | None] = [None] * max(1, len(patronymics) * 3 // 2) + patronymics
        for first in firsts:
            for pair in culture.surnames:
                last = pair[index]
                for middle in middles:
                    out.append(
                        Person(
                            first, middle, last, gender, culture.language,
                            culture.family_first, ascii_slug(first), ascii_slug(last),
                        )
                    )  # fmt: skip
    return out
