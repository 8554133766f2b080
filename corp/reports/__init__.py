"""Reports: expenses, call detail, inventory, financial documents, payments, operations,
idle lines, tariff advice — on screen and as downloads; charts of the dashboard."""
