"""Cities and streets (mostly Kazakhstan, some abroad), companies, and the small
vocabularies demo customers draw from."""

from __future__ import annotations

from dataclasses import dataclass

from clientbase.demo.names import ascii_slug


@dataclass(frozen=True)
class City:
    name: str
    region: str
    country: str
    postal_prefix: str  # a postal code is this plus two digits
    latitude: float
    longitude: float
    weight: int


KZ_STREETS = (
    "пр. Абая", "ул. Толе би", "пр. Достык", "ул. Сатпаева", "пр. аль-Фараби",
    "пр. Кабанбай батыра", "пр. Республики", "ул. Байтурсынова", "ул. Жибек Жолы",
    "ул. Гоголя", "ул. Розыбакиева", "ул. Жандосова", "ул. Кенесары", "пр. Мангилик Ел",
    "ул. Сыганак", "Абай даңғылы", "Тәуелсіздік даңғылы", "Қабанбай батыр көшесі",
    "ул. Байзакова", "мкр. Самал-2", "мкр. Аксай-4", "ул. Желтоксан",
)  # fmt: skip

KZ_CITIES = (
    City("Almaty", "Almaty", "KZ", "0500", 43.2389, 76.8897, 30),
    City("Astana", "Astana", "KZ", "0100", 51.1605, 71.4704, 22),
    City("Shymkent", "Shymkent", "KZ", "1600", 42.3417, 69.5901, 10),
    City("Karaganda", "Karaganda Region", "KZ", "1000", 49.8047, 73.1094, 6),
    City("Aktobe", "Aktobe Region", "KZ", "0300", 50.2839, 57.1660, 5),
    City("Taraz", "Jambyl Region", "KZ", "0800", 42.9000, 71.3667, 3),
    City("Pavlodar", "Pavlodar Region", "KZ", "1400", 52.2873, 76.9674, 3),
    City("Oskemen", "East Kazakhstan Region", "KZ", "0700", 49.9483, 82.6275, 3),
    City("Semey", "Abai Region", "KZ", "0710", 50.4111, 80.2275, 2),
    City("Atyrau", "Atyrau Region", "KZ", "0600", 47.1167, 51.8833, 3),
    City("Kostanay", "Kostanay Region", "KZ", "1100", 53.2144, 63.6246, 2),
    City("Kyzylorda", "Kyzylorda Region", "KZ", "1200", 44.8488, 65.4823, 2),
    City("Oral", "West Kazakhstan Region", "KZ", "0900", 51.2333, 51.3667, 2),
    City("Petropavl", "North Kazakhstan Region", "KZ", "1500", 54.8667, 69.1500, 2),
    City("Aktau", "Mangystau Region", "KZ", "1300", 43.6500, 51.1600, 2),
    City("Turkistan", "Turkistan Region", "KZ", "1612", 43.2973, 68.2518, 2),
)

# (city, streets) abroad: about one address in ten.
ABROAD = (
    (City("Moscow", "Moscow", "RU", "1250", 55.7558, 37.6173, 3), ("ул. Тверская", "ул. Арбат")),
    (City("Tashkent", "Tashkent", "UZ", "1000", 41.2995, 69.2401, 2), ("Amir Temur Ave",)),
    (City("Bishkek", "Chuy", "KG", "7200", 42.8746, 74.5698, 2), ("Chuy Ave", "Manas Ave")),
    (City("Ho Chi Minh City", "Ho Chi Minh City", "VN", "7000", 10.8231, 106.6297, 1),
     ("Đường Nguyễn Huệ", "Đường Lê Lợi")),
    (City("Hanoi", "Hanoi", "VN", "1000", 21.0278, 105.8342, 1), ("Phố Hàng Bài",)),
    (City("Madrid", "Comunidad de Madrid", "ES", "2801", 40.4168, -3.7038, 1),
     ("Calle de Alcalá", "Gran Vía")),
    (City("Berlin", "Berlin", "DE", "1011", 52.5200, 13.4050, 1), ("Unter den Linden",)),
    (City("Istanbul", "Istanbul", "TR", "3443", 41.0082, 28.9784, 1), ("İstiklal Caddesi",)),
    (City("New York", "New York", "US", "1000", 40.7128, -74.0060, 1), ("Broadway", "5th Ave")),
    (City("London", "England", "GB", "EC1A", 51.5074, -0.1278, 1), ("Baker Street",)),
)  # fmt: skip
ABROAD_SHARE = 0.1

ADDRESS_INSTRUCTIONS = (
    None, None, None, "Звонить за 30 минут", "Домофон не работает, звонить", "Leave at reception",
    "Въезд со двора", "Кіреберіс аулаттан",
)  # fmt: skip

INDUSTRIES = (
    "Retail", "Wholesale", "Manufacturing", "Construction", "Agriculture", "Logistics", "IT",
    "Finance", "Healthcare", "Education", "Hospitality", "Energy", "Mining",
    "Telecommunications", "Real Estate", "Food & Beverage", "Textile", "Automotive",
    "Pharmaceuticals", "Media",
)  # fmt: skip
LEAD_SOURCES = (
    ("website", 25), ("referral", 18), ("cold_call", 10), ("exhibition", 8),
    ("social_media", 20), ("import", 10), ("api", 5), ("2GIS", 2), ("partner", 2),
)  # fmt: skip
TAGS = (
    "vip", "wholesale", "retail", "newsletter", "b2b", "b2c", "partner", "referral",
    "trade-show", "priority", "kaspi", "corporate", "loyalty", "black-friday", "online",
)  # fmt: skip
EMAIL_DOMAINS = (
    "mail.kz", "gmail.com", "mail.ru", "yandex.kz", "inbox.kz", "outlook.com", "yahoo.com",
    "icloud.com", "bk.ru", "list.ru",
)  # fmt: skip
COMPANY_MAILBOXES = ("info", "sales", "office", "hello", "zakaz", "buh")
COMPANY_SIZES = (("1-10", 35), ("11-50", 30), ("51-200", 20), ("201-500", 10), ("500+", 5))

POSITIONS = (
    ("Генеральный директор", "Руководство", True), ("Директор", "Руководство", True),
    ("Главный бухгалтер", "Бухгалтерия", False), ("Менеджер по закупкам", "Закупки", False),
    ("Head of Procurement", "Procurement", True), ("CFO", "Finance", True),
    ("Office manager", "Administration", False), ("Юрист", "Юридический отдел", False),
    ("IT-директор", "IT", True), ("Логист", "Логистика", False),
    ("Бас есепші", "Бухгалтерия", False), ("Sales manager", "Sales", False),
)  # fmt: skip

# (title, content, type, priority, pinned)
NOTES = (
    ("Звонок", "Клиент интересуется условиями оптовых поставок. Перезвонить на следующей "
     "неделе.", "sales", "medium", False),
    ("Follow-up", "Sent the price list and the contract draft; waiting for feedback.",
     "sales", "medium", False),
    ("Жалоба", "Задержка доставки заказа на 3 дня. Предложили скидку 5% на следующий заказ.",
     "complaint", "high", False),
    ("Отзыв", "Клиент доволен качеством обслуживания, готов дать рекомендацию.",
     "feedback", "low", False),
    ("Support", "Reset access to the personal account; resolved during the call.",
     "support", "low", False),
    ("Встреча", "Провели встречу в офисе клиента, обсудили годовой контракт.",
     "sales", "high", False),
    ("Кездесу", "Клиентпен кездесу өтті, жылдық келісімшарт талқыланды.",
     "general", "medium", False),
    ("Ghi chú", "Khách hàng muốn nhận báo giá bằng tiếng Việt.", "general", "low", False),
    ("Payment", "Invoice paid late; reminded about the payment terms.", "general", "medium",
     False),
    ("Ключевой клиент", "Скидки согласовывать с руководителем отдела продаж.",
     "general", "critical", True),
)  # fmt: skip


@dataclass(frozen=True)
class CompanyStyle:
    language: str
    template: str  # {a} {b}: two name words
    firsts: tuple[str, ...]
    seconds: tuple[str, ...]
    weight: int


KZ_WORDS = (
    "Алтын", "Дала", "Жұлдыз", "Сұңқар", "Көкжиек", "Байтерек", "Тұлпар", "Ақ Жол",
    "Шаңырақ", "Береке", "Атамекен", "Сарыарқа", "Жетісу", "Алатау", "Каспий", "Нұр",
)  # fmt: skip
RU_WORDS = (
    "Северный", "Восток", "Альянс", "Мега", "Прогресс", "Стандарт", "Гранит", "Импульс",
    "Вектор", "Меридиан", "Евразия", "Степной",
)  # fmt: skip
KZ_NOUNS = (
    "Строй", "Трейд", "Логистик", "Сервис", "Агро", "Холдинг", "Групп", "Маркет", "Энерго",
    "Фарм", "Текстиль", "Инвест", "Транс", "Медиа",
)  # fmt: skip
COMPANY_STYLES = (
    CompanyStyle("kk", "ТОО «{a} {b}»", KZ_WORDS, KZ_NOUNS, 40),
    CompanyStyle("ru", "АО «{a} {b}»", KZ_WORDS + RU_WORDS, KZ_NOUNS, 10),
    CompanyStyle("ru", "ООО «{a} {b}»", RU_WORDS, KZ_NOUNS, 10),
    CompanyStyle(
        "en",
        "{a} {b} LLP",
        ("Steppe", "Silk Road", "Caspian", "Eurasia", "Nomad", "Golden", "Blue Sky", "Alatau"),
        ("Logistics", "Trading", "Solutions", "Systems", "Foods", "Energy", "Capital", "Motors"),
        20,
    ),
    CompanyStyle(
        "vi",
        "Công ty TNHH {b} {a}",
        ("Minh Phát", "Hoàng Gia", "Việt Tiến", "Phú Thịnh", "Thành Công", "An Khang"),
        ("Thương mại", "Xây dựng", "Dịch vụ", "Vận tải"),
        10,
    ),
    CompanyStyle(
        "es",
        "{a} {b} S.L.",
        ("Distribuciones", "Grupo", "Comercial", "Importaciones"),
        ("García", "Martínez", "Ibáñez", "Núñez", "Peña"),
        10,
    ),
)


@dataclass(frozen=True)
class CompanyName:
    name: str
    language: str
    slug: str  # for its email domain and website


def company_names() -> list[tuple[CompanyName, int]]:
    """Every company name the styles make, with a weight so each style keeps its share."""
    out = []
    for style in COMPANY_STYLES:
        combos = [(a, b) for a in style.firsts for b in style.seconds]
        for a, b in combos:
            name = style.template.format(a=a, b=b)
            slug = (ascii_slug(a) + ascii_slug(b))[:40]
            out.append(
                (CompanyName(name, style.language, slug), style.weight * 1000 // len(combos))
            )
    return out
