# ruff: noqa: E501  (a translation table: one message per line reads best)
"""Russian translations of the portal's messages, applied to translations/ru/.../messages.po.

Run after ``make messages``: ``python scripts/i18n_ru.py``. Entries already translated in the
catalogue are kept unless this table has them; untranslated ones missing here are listed.
"""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "translations" / "ru" / "LC_MESSAGES" / "messages.po"

RU = {
    # auth
    "Password must be at least 8 characters long.": "Пароль должен содержать не менее 8 символов.",
    "Password must be at most 128 characters long.": "Пароль должен содержать не более 128 символов.",
    "This password is one of the most common passwords; choose another.":
        "Этот пароль входит в число самых распространённых — выберите другой.",
    "Password must not be your email address or the part of it before the @.":
        "Пароль не должен совпадать с адресом электронной почты или его частью до «@».",
    "Wrong e-mail or password.": "Неверный адрес электронной почты или пароль.",
    "Too many failed sign-in attempts: sign-in for this e-mail is locked for %(minutes)d minutes.":
        "Слишком много неудачных попыток входа: вход для этого адреса заблокирован "
        "на %(minutes)d мин.",
    "The current password is wrong.": "Текущий пароль указан неверно.",
    "The new password must differ from the current one.": "Новый пароль должен отличаться от текущего.",
    "You have signed out.": "Вы вышли из системы.",
    "The two new passwords differ.": "Новые пароли не совпадают.",
    "Your password has been changed.": "Пароль изменён.",
    "E-mail": "Эл. почта",
    "Password": "Пароль",
    "Current password": "Текущий пароль",
    "New password": "Новый пароль",
    "New password again": "Повторите новый пароль",
    "Invalid input.": "Некорректные данные.",
    # core / navigation
    "Dashboard": "Сводка",
    "Hierarchy": "Иерархия",
    "Lines": "Номера",
    "active": "активен",
    "blocked": "заблокирован",
    "terminated": "расторгнут",
    "voluntary": "добровольная",
    "loss/theft": "утеря/кража",
    "permanent": "бессрочная",
    "financial": "финансовая",
    "company": "компания",
    "branch": "филиал",
    "city": "город",
    "department": "отдел",
    "group": "группа",
    "advance": "авансовый",
    "credit": "кредитный",
    # validators
    "Value must be text.": "Значение должно быть текстом.",
    "Phone number is required.": "Укажите номер телефона.",
    "Phone number may contain only digits, spaces, brackets, dashes and a leading +.":
        "Номер телефона может содержать только цифры, пробелы, скобки, дефисы и знак «+» в начале.",
    "Phone number could not be read.": "Не удалось распознать номер телефона.",
    "Only Russian (+7) phone numbers are supported.": "Поддерживаются только российские номера (+7).",
    "Russian phone number must have 10 digits after +7.":
        "Российский номер должен содержать 10 цифр после +7.",
    "Phone number must be a Russian mobile number starting with +7 9.":
        "Укажите российский мобильный номер, начинающийся с +7 9.",
    "ICCID is required.": "Укажите ICCID.",
    "ICCID must be 19 or 20 digits.": "ICCID должен содержать 19 или 20 цифр.",
    "ICCID check digit is wrong.": "Неверная контрольная цифра ICCID.",
    "Billing account number is required.": "Укажите номер лицевого счёта.",
    "Billing account number must be 12 digits.": "Номер лицевого счёта должен содержать 12 цифр.",
    "INN is required.": "Укажите ИНН.",
    "INN must be 10 digits (company) or 12 digits (sole proprietor).":
        "ИНН должен содержать 10 цифр (юридическое лицо) или 12 цифр (индивидуальный предприниматель).",
    "INN check digit is wrong.": "Неверная контрольная цифра ИНН.",
    "KPP is required.": "Укажите КПП.",
    "KPP must be 9 characters: 4 digits, 2 digits or capital Latin letters, then 3 digits.":
        "КПП состоит из 9 знаков: 4 цифры, затем 2 цифры или заглавные латинские буквы, затем 3 цифры.",
    "OGRN is required.": "Укажите ОГРН.",
    "OGRN must be 13 digits.": "ОГРН должен содержать 13 цифр.",
    "OGRN check digit is wrong.": "Неверная контрольная цифра ОГРН.",
    "OGRNIP is required.": "Укажите ОГРНИП.",
    "OGRNIP must be 15 digits.": "ОГРНИП должен содержать 15 цифр.",
    "OGRNIP check digit is wrong.": "Неверная контрольная цифра ОГРНИП.",
    "OGRN must be 13 digits (company) or OGRNIP 15 digits (sole proprietor).":
        "Укажите ОГРН из 13 цифр (юридическое лицо) или ОГРНИП из 15 цифр "
        "(индивидуальный предприниматель).",
    "BIK is required.": "Укажите БИК.",
    "BIK must be 9 digits.": "БИК должен содержать 9 цифр.",
    "Bank account number is required.": "Укажите номер расчётного счёта.",
    "Bank account number must be 20 digits.": "Номер расчётного счёта должен содержать 20 цифр.",
    "Bank account number does not match the BIK (control digit is wrong).":
        "Номер расчётного счёта не соответствует БИК (неверный контрольный разряд).",
    # access
    "Access denied.": "Доступ запрещён.",
    "Sign in first: send a valid bearer token.": "Требуется авторизация: передайте действующий токен (Bearer).",
    "Change your temporary password first.": "Сначала смените временный пароль.",
    "Only operator staff may do this.": "Это действие доступно только сотрудникам оператора.",
    "You do not have the permission for this.": "У вас нет полномочий на это действие.",
    "Not found.": "Не найдено.",
    "Enter a date as YYYY-MM-DD.": "Укажите дату в формате ГГГГ-ММ-ДД.",
    "The end of the period is before its start.": "Конец периода раньше его начала.",
    "page ≥ 1 and 1 ≤ per_page ≤ 500.": "Допустимые значения: page ≥ 1 и 1 ≤ per_page ≤ 500.",
    "This field is required.": "Обязательное поле.",
    "Too long (%(n)d characters at most).": "Слишком длинное значение (не более %(n)d символов).",
    "A sole proprietor has no KPP; leave it empty.":
        "У индивидуального предпринимателя нет КПП — оставьте поле пустым.",
    "A company with this INN is already registered.": "Компания с таким ИНН уже зарегистрирована.",
    "A contract with this number exists already.": "Договор с таким номером уже существует.",
    # permission categories
    "View lines": "Просмотр номеров",
    "Blocks": "Блокировки",
    "Services": "Услуги",
    "Promised payment": "Обещанный платёж",
    "Send SMS": "Отправка SMS",
    "Call forwarding": "Переадресация",
    "Limits": "Лимиты",
    "Tariff change": "Смена тарифного плана",
    "Tariff configuration": "Настройка тарифного плана",
    "Bill delivery address": "Адрес доставки счетов",
    "SIM replacement": "Замена SIM-карты",
    "Number change": "Смена номера",
    "Number transfer between billing accounts": "Перенос номера между лицевыми счетами",
    "Reports": "Отчёты",
    "Settlement method": "Метод взаиморасчётов",
    "Manage hierarchy": "Управление иерархией",
    "Manage users and roles": "Управление пользователями и ролями",
    "Forms and requests": "Бланки и обращения",
    "Financial documents": "Финансовые документы",
    "Audit log": "Журнал действий",
    # predefined roles
    "Global administrator": "Глобальный администратор",
    "Everything, in the whole company, including other administrators.":
        "Все действия во всей компании, включая управление другими администраторами.",
    "Administrator": "Администратор",
    "Every line and account operation, the hierarchy, reports and requests.":
        "Все операции с номерами и лицевыми счетами, иерархия, отчёты и обращения.",
    "Line operator": "Специалист по номерам",
    "Views lines and runs everyday line operations.":
        "Просматривает номера и выполняет повседневные операции с ними.",
    "Accountant": "Бухгалтер",
    "Reports, financial documents, bill delivery and promised payments.":
        "Отчёты, финансовые документы, доставка счетов и обещанные платежи.",
    "Viewer": "Наблюдатель",
    "Looks at lines and reports; changes nothing.": "Просматривает номера и отчёты, ничего не изменяет.",
    # roles / users services
    "Whole company": "Вся компания",
    "No such role.": "Роль не найдена.",
    "Only a manager of the whole company's users may change roles.":
        "Изменять роли может только тот, кто управляет пользователями всей компании.",
    "Give the role a name.": "Укажите название роли.",
    "The name is too long (%(n)d characters at most).": "Слишком длинное название (не более %(n)d символов).",
    "A role with this name exists already.": "Роль с таким названием уже существует.",
    "Permissions must be a list of permission names.": "Полномочия нужно передать списком их названий.",
    "Unknown permissions: %(names)s.": "Неизвестные полномочия: %(names)s.",
    "Tick at least one permission category.": "Отметьте хотя бы одну категорию полномочий.",
    "You can only give permissions you hold yourself: %(names)s.":
        "Можно выдавать только те полномочия, которые есть у вас самих: %(names)s.",
    "Predefined roles are read-only.": "Стандартные роли нельзя изменять.",
    "The role is assigned %(n)d time(s); remove those assignments before deleting it.":
        "Роль назначена пользователям (назначений: %(n)d). Снимите эти назначения, "
        "прежде чем удалять роль.",
    "The search text is too long (100 characters at most).":
        "Слишком длинный поисковый запрос (не более 100 символов).",
    "No such user.": "Пользователь не найден.",
    "Enter a valid e-mail address.": "Укажите корректный адрес электронной почты.",
    "This e-mail is already in use.": "Этот адрес электронной почты уже используется.",
    "Enter the employee's name.": "Укажите ФИО сотрудника.",
    "Must be true or false.": "Допустимые значения: true или false.",
    "You cannot disable your own account.": "Нельзя отключить собственную учётную запись.",
    "Only a global administrator may change another global administrator.":
        "Изменять глобального администратора может только другой глобальный администратор.",
    "This is the last active global administrator of the company: it cannot be disabled.":
        "Это последний активный глобальный администратор компании — его нельзя отключить.",
    "You may only give roles within your own part of the hierarchy.":
        "Назначать роли можно только в пределах вашей части иерархии.",
    "Only a global administrator may appoint another global administrator.":
        "Назначить глобального администратора может только глобальный администратор.",
    "The global administrator role applies to the whole company; choose the whole company.":
        "Роль глобального администратора действует на всю компанию — выберите область «Вся компания».",
    "You can only give roles whose permissions you hold yourself on that scope; you lack: %(names)s.":
        "Можно назначать только роли, полномочия которых есть у вас самих в этой области; "
        "у вас нет полномочий: %(names)s.",
    "The user already holds this role on this scope.": "У пользователя уже есть эта роль в этой области.",
    "No such assignment.": "Назначение не найдено.",
    "This is the last active global administrator of the company: the role cannot be taken away.":
        "Это последний активный глобальный администратор компании — роль нельзя снять.",
    # roles views
    "Administration": "Управление",
    "Companies": "Компании",
    "Saved.": "Сохранено.",
    "The user is enabled.": "Пользователь включён.",
    "The user is disabled: their sessions and API tokens have ended.":
        "Пользователь отключён: его сеансы и API-токены прекращены.",
    "Choose a scope from the list.": "Выберите область из списка.",
    "The role is assigned.": "Роль назначена.",
    "Choose a role and a scope.": "Выберите роль и область действия.",
    "The assignment is removed.": "Назначение снято.",
    "The role is created.": "Роль создана.",
    "The role is deleted.": "Роль удалена.",
    "No line with this number in your part of the company.": "В вашей части компании нет такого номера.",
    # webforms
    "Name": "ФИО",
    "Role name": "Название роли",
    "Permission categories": "Категории полномочий",
    "Role": "Роль",
    "Scope": "Область действия",
    "Company name": "Название компании",
    "INN": "ИНН",
    "KPP": "КПП",
    "OGRN / OGRNIP": "ОГРН / ОГРНИП",
    "Legal address": "Юридический адрес",
    "Contract number": "Номер договора",
    "Administrator's e-mail": "Эл. почта администратора",
    "Administrator's name": "ФИО администратора",
    # templates
    "Virtual Manager": "Виртуальный менеджер",
    "Menu": "Меню",
    "Sign out": "Выйти",
    "To the start page": "На главную",
    "Pages": "Страницы",
    "Change password": "Смена пароля",
    "You signed in with a temporary password. Choose your own password to continue.":
        "Вы вошли с временным паролем. Чтобы продолжить, задайте собственный пароль.",
    "At least 8 characters; a long phrase is best. Common passwords are refused.":
        "Не менее 8 символов; лучше всего — длинная фраза. Распространённые пароли не принимаются.",
    "Sign in": "Вход",
    "%(num)d line": ("%(num)d номер", "%(num)d номера", "%(num)d номеров"),
    "By status": "По статусу",
    "By tariff": "По тарифным планам",
    "By branch": "По филиалам",
    "until %(d)s": "до %(d)s",
    "blocked: %(n)s": "заблокировано: %(n)s",
    "Employee": "Сотрудник",
    "Position": "Должность",
    "Personnel number": "Таб. номер",
    "Department": "Подразделение",
    "SIM (ICCID)": "SIM (ICCID)",
    "Connected": "Дата подключения",
    "Tariff and package": "Тариф и пакет",
    "per month": "в месяц",
    "included": "включено",
    "used": "израсходовано",
    "remaining": "осталось",
    "Minutes": "Минуты",
    "SMS": "SMS",
    "MB": "МБ",
    "Spent this month": "Расходы за месяц",
    "Billing account": "Лицевой счёт",
    "Number": "Номер",
    "Balance": "Баланс",
    "Settlement": "Взаиморасчёты",
    "Credit limit": "Кредитный лимит",
    "Connected services": "Подключённые услуги",
    "None": "Нет",
    "Payments to the account": "Платежи на лицевой счёт",
    "History of changes": "История изменений",
    "No changes yet.": "Изменений пока нет.",
    "found: %(n)s": "найдено: %(n)s",
    "Number or employee": "Номер или сотрудник",
    "Search": "Поиск",
    "Status": "Статус",
    "Any status": "Любой статус",
    "Tariff": "Тариф",
    "Any tariff": "Любой тариф",
    "Find": "Найти",
    "Reset": "Сбросить",
    "No lines match.": "Подходящих номеров нет.",
    "Operator": "Оператор",
    "Operator staff": "Сотрудник оператора",
    "You administer companies of the platform; company data is not visible to you here.":
        "Вы управляете компаниями-клиентами платформы; данные самих компаний здесь вам не видны.",
    "Users": "Пользователи",
    "Roles": "Роли",
    "Access explained": "Проверка доступа",
    "A line: who may do what on it": "Номер: кто и что может с ним делать",
    "Explain": "Показать",
    "A user: what they may do and where": "Пользователь: что и где он может делать",
    "Permission category": "Категория полномочий",
    "Who, through which role and scope": "Кто, через какую роль и область",
    "nobody": "никто",
    "The user is disabled: they may do nothing.": "Пользователь отключён и не может выполнять никаких действий.",
    "What they may do and where": "Что и где может делать",
    "Where": "Где",
    "Nothing.": "Ничего.",
    "Through these assignments": "На основании назначений",
    "User (e-mail)": "Эл. почта",
    "User": "Пользователь",
    "Action": "Действие",
    "Any action": "Любое действие",
    "Line (number)": "Абонентский номер",
    "Line": "Номер",
    "From": "С",
    "To": "По",
    "IP address": "IP-адрес",
    "When (UTC)": "Когда (UTC)",
    "Who": "Кто",
    "Object": "Объект",
    "Before": "Было",
    "After": "Стало",
    "Detail": "Подробности",
    "line": "номер",
    "No events match.": "Подходящих событий нет.",
    "New company": "Новая компания",
    "Company": "Компания",
    "OGRN": "ОГРН",
    "Company created": "Компания создана",
    "The company %(name)s is created with its global administrator %(email)s.":
        "Компания %(name)s создана, её глобальный администратор — %(email)s.",
    "Temporary password (shown once — hand it over now):":
        "Временный пароль (показывается один раз — передайте его сейчас):",
    "Create": "Создать",
    "New role": "Новая роль",
    "predefined, read-only": "стандартная, только для чтения",
    "Save": "Сохранить",
    "Back to roles": "К списку ролей",
    "Delete this role?": "Удалить эту роль?",
    "Delete role": "Удалить роль",
    "Assigned": "Назначений",
    "predefined": "стандартная",
    "disabled": "отключён",
    "Details": "Данные",
    "Disable this user? Their sessions and API tokens end at once.":
        "Отключить пользователя? Его сеансы и API-токены будут сразу прекращены.",
    "Disable": "Отключить",
    "Enable": "Включить",
    "Roles and scopes": "Роли и области действия",
    "Remove this assignment?": "Снять это назначение?",
    "Remove": "Снять",
    "No roles yet: the user can do nothing.": "Ролей пока нет: пользователь не может ничего делать.",
    "Assign": "Назначить",
    "User created": "Пользователь создан",
    "The user %(email)s is created.": "Пользователь %(email)s создан.",
    "Assign roles": "Назначить роли",
    "New user": "Новый пользователь",
    "A temporary password is issued and shown once; the employee changes it at first sign-in.":
        "Будет выдан временный пароль, он показывается один раз; сотрудник сменит его при первом входе.",
    "E-mail or name": "Эл. почта или ФИО",
    "Last sign-in": "Последний вход",
    "temporary password": "временный пароль",
    "No users.": "Пользователей нет.",
}


def main() -> int:
    with PO.open("rb") as f:
        catalog = read_po(f)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in RU:
            message.string = RU[key]
        message.flags.discard("fuzzy")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            missing.append(key)
    catalog.obsolete.clear()
    with PO.open("wb") as f:
        write_po(f, catalog, width=100)
    for key in missing:
        print("untranslated:", key)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
