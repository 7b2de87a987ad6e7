"""The static content of every seeded ledger (a small EUR business on Xero-like codes)."""
from __future__ import annotations

# (code, name, type, fully qualified category, is bank account, status)
ACCOUNTS = (
    ("090", "Business Bank Account", "Asset", "Asset.Current.Bank", True, "Active"),
    ("091", "Business Savings Account", "Asset", "Asset.Current.Bank", True, "Active"),
    ("200", "Sales", "Income", "Income.Revenue.Sales", False, "Active"),
    ("260", "Other Revenue", "Income", "Income.Revenue.OtherRevenue", False, "Active"),
    ("270", "Interest Income", "Income", "Income.OtherIncome.Interest", False, "Active"),
    ("310", "Cost of Goods Sold", "Expense", "Expense.DirectCosts.CostOfGoodsSold", False, "Active"),
    ("400", "Advertising", "Expense", "Expense.Overheads.Advertising", False, "Active"),
    ("404", "Bank Fees", "Expense", "Expense.Overheads.BankFees", False, "Active"),
    ("408", "Cleaning", "Expense", "Expense.Overheads.Cleaning", False, "Active"),
    ("412", "Consulting & Accounting", "Expense", "Expense.Overheads.Professional", False, "Active"),
    ("420", "Entertainment", "Expense", "Expense.Overheads.Entertainment", False, "Active"),
    ("429", "General Expenses", "Expense", "Expense.Overheads.General", False, "Active"),
    ("433", "Insurance", "Expense", "Expense.Overheads.Insurance", False, "Active"),
    ("445", "Light, Power, Heating", "Expense", "Expense.Overheads.Utilities", False, "Active"),
    ("449", "Motor Vehicle Expenses", "Expense", "Expense.Overheads.MotorVehicle", False, "Active"),
    ("461", "Printing & Stationery", "Expense", "Expense.Overheads.Office", False, "Active"),
    ("469", "Rent", "Expense", "Expense.Overheads.Rent", False, "Active"),
    ("473", "Repairs and Maintenance", "Expense", "Expense.Overheads.Repairs", False, "Active"),
    ("477", "Wages and Salaries", "Expense", "Expense.Overheads.Payroll", False, "Active"),
    ("485", "Subscriptions", "Expense", "Expense.Overheads.Subscriptions", False, "Active"),
    ("489", "Telephone & Internet", "Expense", "Expense.Overheads.Telephone", False, "Active"),
    ("493", "Travel - National", "Expense", "Expense.Overheads.Travel", False, "Active"),
    ("499", "Old Marketing Costs", "Expense", "Expense.Overheads.Advertising", False, "Archived"),
    ("610", "Accounts Receivable", "Asset", "Asset.Current.AccountsReceivable", False, "Active"),
    ("630", "Inventory", "Asset", "Asset.Current.Inventory", False, "Active"),
    ("710", "Office Equipment", "Asset", "Asset.Fixed.OfficeEquipment", False, "Active"),
    ("800", "Accounts Payable", "Liability", "Liability.Current.AccountsPayable", False, "Active"),
    ("820", "Sales Tax", "Liability", "Liability.Current.Tax", False, "Active"),
    ("960", "Retained Earnings", "Equity", "Equity.RetainedEarnings", False, "Active"),
    ("970", "Owner Funds Introduced", "Equity", "Equity.Owners", False, "Active"),
)

# (code, name, status, components: (name, rate, isCompound))
TAX_RATES = (
    ("EXEMPT", "Tax Exempt", "Active", (("Exempt", "0"),)),
    ("REDUCED", "Reduced Rate", "Active", (("Reduced", "7"),)),
    ("STD19", "Standard Rate 19%", "Active", (("Standard", "19"),)),
    ("STD20", "Standard Rate 20%", "Active", (("Standard", "20"),)),
    ("GSTPST", "GST + PST compound", "Active", (("GST", "5"), ("PST", "7", True))),
    ("OLD16", "Old Standard Rate 16%", "Archived", (("Standard", "16"),)),
)

# (key, name, contact, email, country, city, line1, line2, postal code, region)
CUSTOMERS = (
    ("acme-de", "Acme Trading", "Anna Becker", "anna@acme-trading.de", "DE", "Berlin",
     "Friedrichstr. 68", "", "10117", "Berlin"),
    ("acme-fr", "Acme Trading", "Luc Martin", "luc@acme-trading.fr", "FR", "Paris",
     "12 Rue de Rivoli", "", "75004", "Ile-de-France"),
    ("nordwind-hh", "Nordwind GmbH", "Jan Petersen", "jan@nordwind.de", "DE", "Hamburg",
     "Hafenstr. 5", "2. OG", "20459", "Hamburg"),
    ("nordwind-muc", "Nordwind GmbH", "Eva Huber", "eva@nordwind.de", "DE", "Munich",
     "Leopoldstr. 10", "", "80802", "Bavaria"),
    ("blue-baker", "Blue Harbor Ltd", "Oliver Smith", "oliver@blueharbor.co.uk", "GB", "London",
     "221B Baker Street", "", "NW1 6XE", "Greater London"),
    ("blue-kings", "Blue Harbor Ltd", "Amelia Jones", "amelia@blueharbor.co.uk", "GB", "London",
     "1 King's Road", "Unit 4", "SW3 4RP", "Greater London"),
    ("contoso", "Contoso Retail BV", "Sanne de Vries", "sanne@contoso.nl", "NL", "Amsterdam",
     "Damrak 70", "", "1012 LM", "Noord-Holland"),
    ("sunrise-1", "Sunrise Bakery", "Maria Rossi", "maria@sunrise-bakery.it", "IT", "Milan",
     "Via Torino 21", "", "20123", "Lombardy"),
    ("sunrise-2", "Sunrise Bakery", "Maria Rossi", "orders@sunrise-bakery.it", "IT", "Milan",
     "Via Torino 21", "", "20123", "Lombardy"),
)

SUPPLIERS = (
    ("office-direct", "Office Supplies Direct", "Tom Weber", "sales@office-direct.de", "DE",
     "Cologne", "Industriestr. 12", "", "50735", "NRW"),
    ("city-power", "City Power & Light", "Billing Team", "billing@citypower.de", "DE", "Berlin",
     "Energieweg 3", "", "10245", "Berlin"),
    ("cloudhost", "CloudHost Inc", "Accounts", "accounts@cloudhost.io", "IE", "Dublin",
     "1 Grand Canal Square", "", "D02 P820", "Leinster"),
    ("clean-team", "Metro Cleaning Services", "Lena Wolf", "lena@metro-cleaning.de", "DE",
     "Berlin", "Putzgasse 8", "", "10999", "Berlin"),
    ("acme-de", "Acme Trading", "Anna Becker", "anna@acme-trading.de", "DE", "Berlin",
     "Friedrichstr. 68", "", "10117", "Berlin"),
)

# (code, name, type, status, invoice price | None, bill price | None, income acct,
#  expense acct, tax code)
ITEMS = (
    ("CONS-HR", "Consulting Hour", "Service", "Active", "120.00", None, "200", None, "STD19"),
    ("WEB-PKG", "Website Design Package", "Service", "Active", "1500.00", None, "200", None, "STD19"),
    ("SUP-MON", "Support Subscription (monthly)", "Service", "Active", "49.99", None, "200", None,
     "STD19"),
    ("USB-C", "USB-C Cable", "Inventory", "Active", "19.99", "7.50", "200", "310", "STD19"),
    ("MOUSE", "Wireless Mouse", "Inventory", "Active", "29.90", "12.00", "200", "310", "STD19"),
    ("PAPER-A4", "Printer Paper A4 (box)", "NonInventory", "Active", None, "24.50", None, "461",
     "STD19"),
    ("COFFEE", "Coffee Beans 1kg", "NonInventory", "Active", "18.00", "11.00", "200", "310",
     "REDUCED"),
    ("CHAIR", "Office Chair", "Inventory", "Active", "249.00", "140.00", "200", "710", "STD19"),
    ("LEGACY", "Legacy Maintenance Plan", "Service", "Archived", "99.00", None, "260", None, "STD19"),
)

# (number, customer key, issue date, due date, status, paid amount, lines: (item code, qty))
INVOICES = (
    ("INV-0001", "acme-de", "2026-09-01", "2026-10-01", "Submitted", "0",
     (("CONS-HR", "10"), ("USB-C", "3"))),
    ("INV-0002", "nordwind-hh", "2026-09-05", "2026-10-05", "Draft", "0", (("WEB-PKG", "1"),)),
    ("INV-0003", "blue-baker", "2026-09-10", "2026-10-10", "Paid", "all", (("SUP-MON", "12"),)),
    ("INV-0004", "contoso", "2026-09-15", "2026-10-15", "PartiallyPaid", "50.00",
     (("COFFEE", "5"), ("MOUSE", "2"))),
)

# (reference, supplier key, issue date, due date, status, lines: (description, account, tax, qty,
#  unit price, item code | None))
BILLS = (
    ("OSD-4411", "office-direct", "2026-09-02", "2026-10-02", "Open",
     (("Printer paper A4, 10 boxes", "461", "STD19", "10", "24.50", "PAPER-A4"),
      ("Office chair", "710", "STD19", "2", "140.00", "CHAIR"))),
    ("CPL-2026-09", "city-power", "2026-09-30", "2026-10-14", "Open",
     (("Electricity September", "445", "STD19", "1", "312.40", None),)),
    ("CH-88231", "cloudhost", "2026-09-01", "2026-09-15", "Paid",
     (("Cloud hosting, September", "485", "EXEMPT", "1", "89.00", None),)),
)
